import pyarrow as pa
import pytest

from crm_pipelines.definitions import build_definitions
from crm_pipelines.memory import tune_allocators


def test_loading_the_code_location_puts_arrow_on_jemalloc(tmp_path):
    build_definitions(f"sqlite:///{tmp_path / 'app.db'}")
    tuned = tune_allocators()
    if "jemalloc" not in pa.supported_memory_backends():
        pytest.skip("this build of Arrow has no jemalloc")
    assert tuned == {"arrow_pool": "jemalloc"} and pa.default_memory_pool().backend_name == "jemalloc"
    before = pa.jemalloc_memory_pool().bytes_allocated()
    column = pa.array(range(100_000), pa.int64())  # allocated from the default pool
    assert pa.jemalloc_memory_pool().bytes_allocated() >= before + column.nbytes


def test_tuning_again_changes_nothing():
    assert tune_allocators() == tune_allocators()
