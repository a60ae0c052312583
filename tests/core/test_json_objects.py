"""JSON objects built a column at a time are json.dumps of each record's dict, and a key missing or
repeated within a record is told apart, however many records and keys there are."""

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from crm_pipelines.core.json_objects import json_objects, json_strings

VALUES = ['say "hi"', "back\\slash", "two\nlines", "", "Zoë 東京", None, "tab\there"]


def test_each_record_is_json_dumps_of_its_dict_for_every_array_of_values():
    record = np.array([0, 0, 1, 2, 2, 2, 1])
    keys = pd.Series(["a", "b", "a", "a", "b", "c", "b"], dtype="string")
    numbers = pa.array([str(i) for i in range(len(record))], pa.large_string())
    texts, counted = json_objects(record, keys, json_strings(pd.Series(VALUES, dtype="string")), numbers)
    for code in range(3):
        rows = np.flatnonzero(record == code)
        assert json.loads(texts[code].as_py()) == {keys[i]: VALUES[i] for i in rows}
        assert texts[code].as_py() == json.dumps({keys[i]: VALUES[i] for i in rows}, ensure_ascii=False)
        assert json.loads(counted[code].as_py()) == {keys[i]: int(i) for i in rows}


@pytest.mark.parametrize("distinct_keys", [3, 5_000], ids=["counted", "sorted"])
def test_a_key_repeated_or_missing_within_a_record_gives_none(distinct_keys):
    n = 2_000
    record = np.repeat(np.arange(n), 3)
    keys = pd.Series([f"k{(i * 7) % distinct_keys}" if distinct_keys > 3 else f"k{i % 3}" for i in range(3 * n)],
                     dtype="string")
    values = pa.array(["1"] * len(record), pa.large_string())
    assert json_objects(record, keys, values) is not None
    repeated = keys.copy()
    repeated.iloc[3 * 1500 + 2] = repeated.iloc[3 * 1500]
    assert json_objects(record, repeated, values) is None
    missing = keys.copy()
    missing.iloc[17] = pd.NA
    assert json_objects(record, missing, values) is None
