import threading

import pytest

from crm_pipelines.crm.prefetch import read_ahead


def test_items_arrive_in_order():
    assert list(read_ahead(iter(range(100)))) == list(range(100))


def test_an_error_while_fetching_is_raised_where_the_item_would_be():
    def pages():
        yield 1
        yield 2
        raise RuntimeError("budget used up")

    seen = []
    with pytest.raises(RuntimeError, match="budget used up"):
        for page in read_ahead(pages()):
            seen.append(page)
    assert seen == [1, 2]


def test_at_most_one_item_is_fetched_ahead_of_the_consumer():
    fetched = []
    def pages():
        for i in range(10):
            fetched.append(i)
            yield i

    reader = read_ahead(pages())
    assert next(reader) == 0
    threading.Event().wait(0.3)
    assert fetched == [0, 1]  # the one in use and the one ahead, no more
    assert next(reader) == 1
    threading.Event().wait(0.3)
    assert fetched == [0, 1, 2]
    reader.close()
