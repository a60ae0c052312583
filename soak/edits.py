"""Random edits on both sides, as CRM users and app users make them, and what each side should
end up holding.

Every edit is remembered as an expectation: (CRM record, field) → the value of the newest edit
and when it was made. An app edit is stamped with the org's clock (read from the simulator), so
both sides' edits are ordered on one time line and "newest" means the same thing to the soak as
to the CRM's SystemModstamp.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crm_pipelines.store.app_data import read_app_table, write_app_table
from crm_pipelines.store.app_edits import edit_app_record
from crm_pipelines.store.auto_save_lists import read_lists
from crm_pipelines.store.database import Database
from soak.simulator_control import SimControl

# Two-way by default for both Leads and Contacts (F1): app field → CRM field per record type.
TWO_WAY_FIELDS: dict[str, dict[str, str]] = {
    "title": {"Lead": "Title", "Contact": "Title"},
    "phone": {"Lead": "Phone", "Contact": "Phone"},
    "first_name": {"Lead": "FirstName", "Contact": "FirstName"},
    "city": {"Lead": "City", "Contact": "MailingCity"},
}


@dataclass(frozen=True)
class Edit:
    side: str  # "crm" | "app"
    crm_type: str
    crm_id: str
    app_field: str
    value: str
    at: pd.Timestamp


@dataclass
class Expectations:
    """The newest edit of every (CRM record, field) the soak touched, and what it retired."""

    newest: dict[tuple[str, str], Edit] = field(default_factory=dict)
    retired: set[str] = field(default_factory=set)
    """CRM ids deleted, merged away or converted by the soak: their fields no longer sync."""
    crm_created_emails: set[str] = field(default_factory=set)
    edits: dict[str, int] = field(default_factory=lambda: {"crm": 0, "app": 0})
    deletes: dict[str, int] = field(default_factory=lambda: {"recycle_bin": 0, "hard": 0, "purge": 0})
    deleted_from_lists: int = 0
    """Deleted records that were on an auto-save list at the time: each must leave it."""

    def record(self, edit: Edit) -> None:
        key = (edit.crm_id, edit.app_field)
        current = self.newest.get(key)
        if current is None or edit.at >= current.at:
            self.newest[key] = edit
        self.edits[edit.side] += 1

    def live(self) -> list[Edit]:
        return [e for e in self.newest.values() if e.crm_id not in self.retired]


def linked_prospects(db: Database, tenant: str, retired: set[str]) -> pd.DataFrame:
    """Prospects linked to a live, single-holder CRM Lead or Contact (duplicates would take turns)."""
    prospects = read_app_table(db, tenant, "prospects")
    linked = prospects.loc[
        prospects["crm_id"].notna() & ~prospects["is_deleted"].fillna(False).astype(bool)
        & prospects["crm_type"].isin(["Lead", "Contact"])
    ]
    linked = linked.loc[~linked["crm_id"].duplicated(keep=False) & ~linked["crm_id"].isin(retired)]
    return linked


def hot_records(rng: np.random.Generator, db: Database, tenant: str, expect: Expectations, n: int) -> pd.DataFrame:
    """A few linked prospects that both sides will edit this cycle, so edits meet on one record."""
    linked = linked_prospects(db, tenant, expect.retired)
    return linked.iloc[rng.choice(len(linked), size=min(n, len(linked)), replace=False)] if len(linked) else linked


def crm_edits(rng: np.random.Generator, sim: SimControl, linked: pd.DataFrame, expect: Expectations,
              cycle: int, n: int) -> None:
    """`n` CRM users each edit one two-way field of one of the `linked` Leads or Contacts."""
    for k in range(n if len(linked) else 0):
        row = linked.iloc[int(rng.integers(len(linked)))]
        app_field = str(rng.choice(list(TWO_WAY_FIELDS)))
        crm_field = TWO_WAY_FIELDS[app_field][row["crm_type"]]
        value = f"crm-{cycle}-{k}"
        sim.edit(row["crm_type"], row["crm_id"], {crm_field: value})
        stamp = pd.Timestamp(sim.record(row["crm_type"], row["crm_id"])["SystemModstamp"])
        expect.record(Edit("crm", row["crm_type"], row["crm_id"], app_field, value, stamp))


def app_edits(rng: np.random.Generator, sim: SimControl, db: Database, tenant: str, linked: pd.DataFrame,
              expect: Expectations, cycle: int, n: int) -> None:
    """`n` app users each edit one two-way field of one of the `linked` prospects, stamped with
    the field's own change time."""
    for k in range(n if len(linked) else 0):
        row = linked.iloc[int(rng.integers(len(linked)))]
        app_field = str(rng.choice(list(TWO_WAY_FIELDS)))
        value = f"app-{cycle}-{k}"
        at = sim.now() + pd.Timedelta(milliseconds=1)
        edit_app_record(db, tenant, "prospects", row["prospect_id"], {app_field: value}, at.to_pydatetime())
        expect.record(Edit("app", row["crm_type"], row["crm_id"], app_field, value, at))


def app_events(rng: np.random.Generator, sim: SimControl, db: Database, tenant: str, expect: Expectations,
               cycle: int, n: int, prefix: str = "soak") -> None:
    """`n` new activity events on linked prospects (each must reach the CRM as one Task)."""
    linked = linked_prospects(db, tenant, expect.retired)
    if linked.empty:
        return
    events = read_app_table(db, tenant, "activity_events")
    at = sim.now()
    new = pd.DataFrame({
        "event_id": [f"ev-{prefix}-{cycle:03d}-{k:03d}" for k in range(n)],
        "prospect_id": linked["prospect_id"].to_numpy()[rng.integers(len(linked), size=n)],
        "user_id": pd.NA, "kind": "email_sent", "object_type": pd.NA, "object_id": pd.NA, "object_name": pd.NA,
        "occurred_at": [at + pd.Timedelta(seconds=k) for k in range(n)],
    })
    write_app_table(db, tenant, "activity_events", pd.concat([events, new], ignore_index=True))


def new_prospects(rng: np.random.Generator, sim: SimControl, db: Database, tenant: str, cycle: int) -> None:
    """Two new app prospects: one new to the CRM (F7 creates one Lead for it) and one carrying the
    email of a live CRM Contact (matching must find it; creating a Lead would duplicate it)."""
    prospects = read_app_table(db, tenant, "prospects")
    contacts = sim.rows("Contact")
    contacts = contacts.loc[~contacts["IsDeleted"].astype(bool) & contacts["Email"].notna()]
    at = sim.now()
    rows = [{"prospect_id": f"p-soak-new-{cycle:03d}", "email": f"soak.new.{cycle}@example-soak.com",
             "first_name": "Soak", "last_name": f"New{cycle}", "company": f"Soak Co {cycle}"}]
    if not contacts.empty:
        contact = contacts.iloc[int(rng.integers(len(contacts)))]
        rows.append({"prospect_id": f"p-soak-known-{cycle:03d}", "email": str(contact["Email"]).upper(),
                     "first_name": contact["FirstName"], "last_name": contact["LastName"], "company": "Known Co"})
    owner = prospects["owner_user_id"].dropna()
    new = pd.DataFrame(rows).assign(
        crm_id=None, crm_type=None, is_deleted=False, created_at=at, updated_at=at,
        owner_user_id=owner.iloc[0] if len(owner) else None)
    write_app_table(db, tenant, "prospects", pd.concat([prospects, new], ignore_index=True))


def crm_deletes(rng: np.random.Generator, sim: SimControl, db: Database, tenant: str, expect: Expectations) -> None:
    """A CRM user deletes one linked Lead or Contact: to the recycle bin, for good, or to the bin
    and then empties it. One on an auto-save list is chosen when there is one, so that leaving
    the lists is put to the test."""
    linked = linked_prospects(db, tenant, expect.retired)
    if linked.empty:
        return
    listed = linked["crm_id"].isin(set(read_lists(db, tenant)["crm_id"])).to_numpy(dtype=bool)
    pool = linked.loc[listed] if listed.any() else linked
    row = pool.iloc[int(rng.integers(len(pool)))]
    expect.deleted_from_lists += int(listed.any())
    how = str(rng.choice(["recycle_bin", "hard", "purge"]))
    sim.delete(row["crm_type"], row["crm_id"], hard=how == "hard")
    if how == "purge":
        sim.purge(row["crm_type"], row["crm_id"])
    expect.deletes[how] += 1
    expect.retired.add(row["crm_id"])


def crm_conversions(rng: np.random.Generator, sim: SimControl, db: Database, tenant: str, expect: Expectations) -> None:
    """A CRM user converts one linked Lead: its prospect follows to the new Contact (X5)."""
    linked = linked_prospects(db, tenant, expect.retired)
    leads = linked.loc[linked["crm_type"] == "Lead"]
    if leads.empty:
        return
    row = leads.iloc[int(rng.integers(len(leads)))]
    lead = sim.record("Lead", row["crm_id"])
    if lead.get("IsConverted"):
        return
    sim.convert(row["crm_id"])
    expect.retired.add(row["crm_id"])
    if lead.get("Email"):
        expect.crm_created_emails.add(str(lead["Email"]).strip().lower())
