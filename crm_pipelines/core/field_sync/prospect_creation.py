"""F4.1 a key range at a time: the prospects a tenant's first connection creates from the CRM's
Leads and Contacts (about a million at a large org), made in chunks of records so that their
change rows — a dozen per new prospect, with the log and base rows made from them — never exist
all at once. What a chunk needs whole is only the index of who is held already: the app's
prospects' CRM ids and the matches (emails were matched upstream), and the people frame
(crm_people) that finds which records are free.

The chunks together give exactly the creations sync_prospects makes in one piece; the caller
runs sync_prospects with creation off for everything else.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from crm_pipelines.core.field_sync.crm_values import crm_field_columns
from crm_pipelines.core.field_sync.prospect_sync import created_base, creations, match_positions, people_to_create
from crm_pipelines.core.matching.frames import flag
from crm_pipelines.core.matching.lookup import positions
from crm_pipelines.core.matching.people import CONTACT, LEAD, crm_people
from crm_pipelines.settings import DEFAULT_FIELD_MAPPINGS, FieldMapping


@dataclass(frozen=True)
class CreatedChunk:
    """changes: created_in_crm change rows (apply with apply_inbound_changes). base: the base rows
    of the new pairs (created_base). records: how many prospects the chunk creates."""

    changes: pd.DataFrame
    base: pd.DataFrame
    records: int


def creation_chunks(
    matched: pd.DataFrame,
    prospects: pd.DataFrame,
    crm_leads: pd.DataFrame,
    crm_contacts: pd.DataFrame,
    *,
    chunk_rows: int,
    mappings: Sequence[FieldMapping] = DEFAULT_FIELD_MAPPINGS,
    since: pd.Timestamp | None = None,
    matched_users: pd.DataFrame | None = None,
    people: pd.DataFrame | None = None,
) -> Iterator[CreatedChunk]:
    """The creations of sync_prospects (same arguments), at most `chunk_rows` CRM records a chunk,
    in the order of `people` (Contacts, then Leads, each in its extracted key order)."""
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be at least 1, not {chunk_rows}")
    if people is None:
        people = crm_people(crm_leads, crm_contacts)
    prospects = prospects.reset_index(drop=True)
    prospect_ids = prospects["prospect_id"].astype("string").reset_index(drop=True)
    _, matched_people, keep = match_positions(matched, prospect_ids, ~flag(prospects, "is_deleted"), people)
    free = people_to_create(people, positions(prospects["crm_id"], people["crm_id"]), matched_people[keep], since)
    n_contacts = len(crm_contacts)
    frames = {CONTACT: crm_contacts.reset_index(drop=True), LEAD: crm_leads.reset_index(drop=True)}
    app_columns = list(prospects.columns)
    for start in range(0, len(free), chunk_rows):
        yield created_chunk(people, free[start:start + chunk_rows], frames, n_contacts, app_columns, mappings,
                            matched_users)


def created_chunk(people: pd.DataFrame, rows: np.ndarray, frames: dict[str, pd.DataFrame], n_contacts: int,
                  app_columns: list[str], mappings: Sequence[FieldMapping],
                  matched_users: pd.DataFrame | None) -> CreatedChunk:
    """The prospects made of the free records at `rows` (positions in `people`; `frames`: the Contacts
    and Leads `people` was made of, Contacts first, n_contacts of them)."""
    changes = _chunk_creations(people, rows, frames, n_contacts, app_columns, mappings, matched_users)
    return CreatedChunk(changes=changes, base=created_base(changes, mappings), records=len(rows))


def _chunk_creations(people: pd.DataFrame, rows: np.ndarray, frames: dict[str, pd.DataFrame], n_contacts: int,
                     app_columns: list[str], mappings: Sequence[FieldMapping],
                     matched_users: pd.DataFrame | None) -> pd.DataFrame:
    """creations() on the chunk's rows only: its people and its slice of each CRM frame, so the
    mapped values are unpacked for the chunk, not the org."""
    is_contact = rows < n_contacts
    sliced = {CONTACT: frames[CONTACT].iloc[rows[is_contact]].reset_index(drop=True),
              LEAD: frames[LEAD].iloc[rows[~is_contact] - n_contacts].reset_index(drop=True)}
    columns = {crm_type: crm_field_columns(frame, [m.crm_field for m in mappings if m.crm_object == crm_type])
               for crm_type, frame in sliced.items()}
    chunk_people = people.iloc[rows].reset_index(drop=True)
    return creations(chunk_people, np.arange(len(rows)), app_columns, sliced, columns, int(is_contact.sum()),
                     mappings, matched_users)
