"""Comparing only what changed since the last run (issue 17): synced_prospects and
outbound_field_changes, on a run after the first, run the ranged sync on just the records
core.field_sync.changed_ranges finds changed (with the prospects they hold), and store what they
saw with their result.

Everything is compared on a first run, with no marks stored, when the tenant's settings, field
mappings, user matches or the prospects' columns differ from the last run's (the fingerprint),
when the clock reads earlier than at the last run, when a record the last run saw is gone, and
whenever `CRM_PIPELINES_SYNC_FULL_COMPARE` is set to 1. Beyond what the hashes of the records and
prospects show, a record is compared again when it (or its field history) was
extracted after the latest extraction the last run saw, when a base row of one of its pairs was
stored since the last run began (but for the rows the last run itself stored), and when it holds
a prospect the last run logged something for, or that the caller names (outbound_field_changes:
every prospect its last output planned something for, delivered or not).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crm_pipelines.core.field_sync.changed_ranges import (
    SEEN_VERSION, Dirty, Seen, changed_records, prospect_hashes, record_hashes, row_hashes, ids_at, texts,
    with_created,
)
from crm_pipelines.core.matching.lookup import text_positions
from crm_pipelines.exchange.prospect_ranges import OrgPeople, Placement
from crm_pipelines.settings import TenantSettings
from crm_pipelines.store.app_data import PROSPECT_COLUMNS, read_prospect_hashes
from crm_pipelines.store.database import Database
from crm_pipelines.store.field_sync_marks import (
    Marks, base_stored_since, extracted_after, latest_extracted, logged_by_run, read_marks, store_marks,
)

FULL_COMPARE_ENV = "CRM_PIPELINES_SYNC_FULL_COMPARE"


def full_compare_forced() -> bool:
    return os.environ.get(FULL_COMPARE_ENV, "").strip().lower() in ("1", "true", "yes")


def fingerprint(settings: TenantSettings, *extra: object) -> str:
    """What, changed, makes every pair compare differently: the settings (mappings included),
    the prospects' columns (app_data.PROSPECT_COLUMNS), and `extra` (the user matches' hash)."""
    text = "\n".join([SEEN_VERSION, settings.model_dump_json(), ",".join(PROSPECT_COLUMNS), *map(str, extra)])
    return hashlib.sha256(text.encode()).hexdigest()


def frame_digest(frame: pd.DataFrame) -> str:
    """A hash of a frame's rows in order, every value as text."""
    return hashlib.sha256(row_hashes(frame).tobytes() + ",".join(map(str, frame.columns)).encode()).hexdigest()


def sorted_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` in the order of its values as text: a digest that does not depend on row order."""
    text = frame.astype("string")
    return text.sort_values(list(text.columns), ignore_index=True) if len(text.columns) else text


@dataclass(frozen=True)
class Comparison:
    """Which records to compare (`only`, a flag per row of the org's people, each with the
    prospects it holds; None: all), why, and the marks to store with the run's result."""

    only: np.ndarray | None
    why: str
    marks: Marks

    def metadata(self, org: OrgPeople) -> dict[str, object]:
        only = np.ones(len(org.people), dtype=bool) if self.only is None else self.only
        ranges = np.array([only[r.start:r.end].any() for r in org.ranges], dtype=bool)
        return {"comparison": self.why, "ranges_compared": int(ranges.sum()), "ranges_skipped": int((~ranges).sum()),
                "records_compared": int(only.sum()), "records_skipped": int((~only).sum())}

    def with_output(self, digest: str) -> Comparison:
        return replace(self, marks=replace(self.marks, output_digest=digest))


def plan_comparison(db: Database, tenant_id: str, asset: str, org: OrgPeople, prospects: pd.DataFrame,
                    matched: pd.DataFrame, placement: Placement, *, fingerprint: str, started_at: datetime,
                    run_id: str | None,
                    named: Sequence[str] = (), base_written_at: datetime | None = None,
                    output_digest: str | None = None, created_after_matching: pa.Array | None = None) -> Comparison:
    """The ranges `asset`'s run must compare. `prospects`: the app's prospects' PLACE_COLUMNS and
    row_hash (app_data.read_prospect_hashes, or every column with it); `placement`: where each of
    them is (Placement.of(org, matched, prospects), which the sync takes too);
    `started_at`: the clock before they were read; `named`: prospects to compare again whatever
    the hashes say; `base_written_at`: a time of base rows that cannot change what this asset
    finds (the sync's last commit; by default this asset's own, marks.committed_at); `output_digest`: frame_digest of the asset's stored output,
    which must be what the last run wrote (else everything); `created_after_matching`: prospects the
    sync created after `matched` was made (its marks' Seen.created), hashed as matched by the id
    they store, as the next matching matches them: the run after compares them only if they changed."""
    extracted_until, history_until = latest_extracted(db, tenant_id)
    stored_at, held = placement.stored_at, placement.held
    ids = texts(org.people["crm_id"])
    held_by = ids_at(ids, held)
    predicted = _created_matches(matched, prospects, stored_at, org, created_after_matching, tenant_id)
    seen = Seen(ids, record_hashes(org.people), texts(prospects["prospect_id"]),
                prospect_hashes(prospects, matched, held_by, predicted), held)
    marks = Marks(fingerprint=fingerprint, started_at=started_at, seen=seen.to_bytes(), run_id=run_id,
                  extracted_until=extracted_until, history_until=history_until)
    before = read_marks(db, tenant_id, asset)
    why = _everything_because(before, fingerprint, started_at, output_digest)
    if why is not None or before is None:
        return Comparison(None, why or "everything", marks)
    dirty = _dirty(db, tenant_id, before, named, base_written_at or before.committed_at)
    changed = changed_records(seen, Seen.from_bytes(before.seen), dirty, texts(prospects["crm_id"]))
    if changed is None:
        return Comparison(None, "everything: a record the last run saw is gone", marks)
    return Comparison(changed, "changed records", marks)


def _everything_because(before: Marks | None, fingerprint: str, started_at: datetime,
                        output_digest: str | None) -> str | None:
    if full_compare_forced():
        return f"everything: {FULL_COMPARE_ENV} is set"
    if before is None:
        return "everything: no earlier run's marks"
    if before.fingerprint != fingerprint:
        return "everything: settings, mappings, user matches or columns changed"
    if started_at < before.started_at:
        return "everything: the clock reads earlier than at the last run"
    if output_digest is not None and before.output_digest != output_digest:
        return "everything: the stored output is not the last run's"
    return None


def _dirty(db: Database, tenant_id: str, before: Marks, named: Sequence[str],
           base_written_at: datetime | None) -> Dirty:
    base_apps, base_records = base_stored_since(db, tenant_id, before.started_at, base_written_at)
    records = extracted_after(db, tenant_id, before.extracted_until, before.history_until)
    logged = logged_by_run(db, tenant_id, before.run_id, before.started_at)
    return Dirty(crm_ids=[*records, *base_records], prospect_ids=[*base_apps, *logged, *named])


def store_comparison(db: Database, tenant_id: str, asset: str, comparison: Comparison) -> None:
    """The marks of a run whose result is not a field sync's commit (which stores them itself)."""
    with db.transaction() as conn:
        store_marks(conn, tenant_id, asset, comparison.marks)


def marks_with_created(db: Database, tenant_id: str, marks: Marks, created: pd.DataFrame,
                       matched: pd.DataFrame) -> Marks:
    """The run's `marks` with the prospects it created after comparing (`created`: prospect_id,
    crm_id, crm_type of each), as the next run reads them: each row as the store hashes it now, its
    match as matching makes it (by id, to the record it was created from: the record was free, so
    no other prospect competes for it; `matched`, the run's matches, gives the columns and types)
    and held by that record. A prediction that misses only makes the next run compare the prospect."""
    seen = Seen.from_bytes(marks.seen)
    stored = read_prospect_hashes(db, tenant_id, ["prospect_id"])
    ids = texts(stored["prospect_id"])
    at = text_positions(ids, texts(created["prospect_id"]))
    made = at >= 0
    rows = created.iloc[at[made]].reset_index(drop=True)
    held_at = text_positions(texts(rows["crm_id"]), seen.crm_ids)
    hashes = np.zeros(len(ids), dtype=np.uint64)
    hashes[made] = prospect_hashes(stored.loc[made].reset_index(drop=True), _matched_by_id(rows, matched, tenant_id),
                                   ids_at(seen.crm_ids, held_at))
    held = np.full(len(ids), -1, dtype=np.int64)
    held[made] = held_at
    return replace(marks, seen=with_created(seen, ids, made, hashes, held).to_bytes())


def _created_matches(matched: pd.DataFrame, prospects: pd.DataFrame, stored_at: np.ndarray, org: OrgPeople,
                     created: pa.Array | None, tenant_id: str) -> pd.DataFrame:
    """A match by id for each of `created` that `matched` holds none for yet and that stores a
    record of the org (`stored_at`, its position in org.people), in `matched`'s columns."""
    if created is None or not len(created):
        return matched.iloc[0:0]
    ids = texts(prospects["prospect_id"])
    unmatched = pc.invert(pc.fill_null(pc.is_in(ids, value_set=texts(matched["prospect_id"])), False))
    wanted = pc.and_(pc.fill_null(pc.is_in(ids, value_set=texts(created)), False), unmatched)
    wanted = wanted.to_numpy(zero_copy_only=False) & (stored_at >= 0)
    if not wanted.any():
        return matched.iloc[0:0]
    people = org.people.iloc[stored_at[wanted]]
    rows = pd.DataFrame({"prospect_id": prospects["prospect_id"].reset_index(drop=True)[wanted].reset_index(drop=True),
                         "crm_id": people["crm_id"].reset_index(drop=True),
                         "crm_type": people["crm_type"].reset_index(drop=True)})
    return _matched_by_id(rows, matched, tenant_id)


def _matched_by_id(created: pd.DataFrame, matched: pd.DataFrame, tenant_id: str) -> pd.DataFrame:
    """The matched_prospects rows of prospects matched by the id they store, in `matched`'s
    columns and types."""
    values = {"tenant_id": tenant_id, "prospect_id": created["prospect_id"].reset_index(drop=True),
              "crm_id": created["crm_id"].reset_index(drop=True),
              "crm_type": created["crm_type"].reset_index(drop=True),
              "matched_by": "id", "candidates": 1, "ambiguous": False}
    frame = pd.DataFrame({c: values[c] for c in matched.columns}, index=range(len(created)))
    return frame.astype(matched.dtypes.to_dict())
