import threading

import pytest

from crm_pipelines.store.write_behind import WriteBehind


def test_writes_happen_in_submission_order_and_results_are_kept():
    writer = WriteBehind()
    order = []
    for i in range(20):
        writer.submit(lambda i=i: order.append(i) or i)
    assert writer.close() == list(range(20))
    assert order == list(range(20))


def test_after_a_failed_write_nothing_more_is_written_and_the_failure_is_raised():
    writer = WriteBehind()
    written = []
    gate = threading.Event()

    def fail():
        gate.wait(5)
        raise RuntimeError("disk full")

    writer.submit(lambda: written.append(1))
    writer.submit(fail)
    writer.submit(lambda: written.append(3))  # queued before the failure is known
    gate.set()
    with pytest.raises(RuntimeError, match="disk full"):
        for i in range(4, 10):
            writer.submit(lambda i=i: written.append(i))
        writer.close()
    assert written == [1]
