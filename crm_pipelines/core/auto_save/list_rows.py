"""The output frames of a rebuild, built from integer codes: list rows, change rows, capped-out rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from crm_pipelines.core.auto_save.frames import MOMENT, RECORD_TYPES, TEXT, ListName
from crm_pipelines.core.auto_save.id_codes import text_series
from crm_pipelines.core.auto_save.org_index import Records
from crm_pipelines.core.auto_save.rules import RULE_CODES, rule_tuples
from crm_pipelines.core.auto_save.subjects import Subjects

_SOURCES = pa.array(["auto", "manual"], pa.large_string())
_TYPE_NAMES = pa.array(list(RECORD_TYPES), pa.large_string())


def rule_set_tuples(name: ListName) -> np.ndarray:
    """Object array: per rule-set code of list `name`, its rules as a sorted tuple; the code one
    past the largest mask is a manual item's ("manual",)."""
    table = np.append(rule_tuples(RULE_CODES[name]), None)
    table[-1] = ("manual",)
    return table


def list_rows(name: ListName, subjects: Subjects, records: Records, subject: np.ndarray, record: np.ndarray,
              rule_set: np.ndarray, added_at: np.ndarray) -> pd.DataFrame:
    """LIST_COLUMNS for items given as subject and record codes, rule-set codes and ns times."""
    manual = (rule_set == len(rule_set_tuples(name)) - 1).astype(np.int64)
    return pd.DataFrame({
        **_identity(name, subjects, records, subject, record),
        "rules": pd.Series(rule_set_tuples(name)[rule_set], dtype=object),
        "source": text_series(_SOURCES.take(pa.array(manual))),
        "added_at": pd.Series(pd.to_datetime(added_at, utc=True)).astype(MOMENT),
        "is_deleted": records.deleted[record],
    })


def change_rows(name: ListName, subjects: Subjects, records: Records, subject: np.ndarray, record: np.ndarray,
                change: str, reasons: pd.Series, now: pd.Timestamp) -> pd.DataFrame:
    n = len(subject)
    identity = _identity(name, subjects, records, subject, record)
    return pd.DataFrame({
        **identity,
        "change": constant_text(change, n),
        "reason": reasons.reset_index(drop=True).astype(TEXT),
        "at": pd.Series(np.full(n, now.value), dtype="datetime64[ns]").dt.tz_localize("UTC").astype(MOMENT),
    })


def capped_rows(name: ListName, subjects: Subjects, records: Records, subject: np.ndarray, record: np.ndarray,
                rule_set: np.ndarray, rank: np.ndarray, candidates: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({
        **_identity(name, subjects, records, subject, record),
        "rules": pd.Series(rule_set_tuples(name)[rule_set], dtype=object),
        "rank": rank.astype(np.int64),
        "candidates": candidates.astype(np.int64),
    })


def constant_text(text: str, n: int) -> pd.Series:
    return text_series(pa.repeat(pa.scalar(text, pa.large_string()), n))


def _identity(name: ListName, subjects: Subjects, records: Records, subject: np.ndarray,
              record: np.ndarray) -> dict[str, pd.Series]:
    return {
        "user_id": text_series(subjects.user_ids.take(subject)),
        "list": constant_text(name, len(subject)),
        "crm_id": text_series(records.codes.take(record)),
        "record_type": text_series(_TYPE_NAMES.take(pa.array(records.record_type[record].astype(np.int64)))),
    }
