"""One simulated Salesforce org: its records, clock, API usage, faults, sessions' settings and logs.

Every change goes through this object under its lock, whether it comes from a REST client, the
control API or a test calling Python methods directly, so the three never see half a write.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from crm_pipelines.sim import crm_user_actions
from crm_pipelines.sim.api_usage import ApiUsage
from crm_pipelines.sim.bulk_jobs import BulkJobs
from crm_pipelines.sim.org_clock import OrgClock, ms_to_timestamp
from crm_pipelines.sim.derived_fields import DEFAULTS_ON_CREATE, STAGE_PROBABILITY, derived_fields
from crm_pipelines.sim.faults import Fault, FaultInjector
from crm_pipelines.sim.ids import make_id, org_pod
from crm_pipelines.sim.object_table import ObjectTable
from crm_pipelines.sim.page_prefetch import PagePrefetcher
from crm_pipelines.sim.query_cursors import QueryCursors
from crm_pipelines.sim.field_history import FieldHistory
from crm_pipelines.sim.schema import ALL_OBJECTS, OBJECTS, SObjectSchema, sobject
from crm_pipelines.sim.sessions import DEFAULT_TOKEN_LIFETIME_SECONDS
from crm_pipelines.sim.validation_rules import ValidationRule
from crm_pipelines.sim.wire import format_datetime, records_json
from crm_pipelines.sim.write_log import WriteLog

# Records created in the simulator take numbers far above any generated record's, so the two
# can never collide whatever the generator's numbering.
_CREATED_NUMBER_BASE = 62**9
_REQUEST_LOG_SIZE = 100_000


@dataclass(frozen=True)
class RequestRecord:
    time: str
    method: str
    endpoint: str
    status: int
    faults: tuple[str, ...]


class OrgState:
    """Records and server-side state of one org."""

    def __init__(self, *, name: str, org_id: str, tables: Mapping[str, pd.DataFrame],
                 now: pd.Timestamp, seed: int = 1, scale: str = "tiny", api_limit: int = 100_000,
                 faults: str | None = None,
                 token_lifetime_seconds: float = DEFAULT_TOKEN_LIFETIME_SECONDS,
                 dialect: str = "salesforce") -> None:
        unknown = sorted(set(tables) - set(OBJECTS))
        if unknown:
            raise ValueError(f"org {name}: tables for unknown objects {unknown}")
        self.lock = threading.RLock()
        self.name = name
        self.org_id = org_id
        # The API the org is served through: "salesforce" (its REST, Bulk and OAuth paths) or
        # "insightly" (/v3.1/); the records, clock, limits and faults behind either are the same.
        self.dialect = dialect
        self.seed = seed
        self.scale = scale
        self.generated_at = pd.Timestamp(now)
        self.tables: dict[str, ObjectTable] = {
            object_name: ObjectTable(schema, tables.get(object_name))
            for object_name, schema in ALL_OBJECTS.items()
        }
        latest = [t.max_system_modstamp() for t in self.tables.values() if t.schema.has_field("SystemModstamp")]
        self.clock = OrgClock(now, last_stamp=max((s for s in latest if s is not None), default=None))
        self.usage = ApiUsage(api_limit)
        self.faults = FaultInjector(faults, seed=seed, org=name)
        self.cursors = QueryCursors()
        self.bulk_jobs = BulkJobs(org_pod(name))
        self.page_prefetch = PagePrefetcher(self.lock)
        self.validation_rules: list[ValidationRule] = []
        self.field_history = FieldHistory()
        self.write_log = WriteLog()
        self.token_lifetime_seconds = token_lifetime_seconds
        self._calls: Counter[str] = Counter()
        self._requests: deque[RequestRecord] = deque(maxlen=_REQUEST_LOG_SIZE)
        self._created: Counter[str] = Counter()

    # -- objects and users ---------------------------------------------------------------------
    def table(self, object_name: str) -> ObjectTable:
        return self.tables[sobject(object_name).name]

    def active_users(self) -> pd.DataFrame:
        with self.lock:
            users = self.tables["User"].frame()
            active = users[users["IsActive"].astype(bool) & ~users["IsDeleted"].astype(bool)]
            return active[["Id", "Username", "Name"]].copy()

    def integration_user_id(self) -> str:
        """The user that client-credentials tokens run as: an "integration" user, else the first."""
        users = self.active_users()
        if users.empty:
            raise LookupError(f"org {self.name} has no active user to run API calls as")
        usernames = users["Username"].astype(str).str.lower()
        chosen = users[usernames.str.contains("integration", regex=False)]
        return str((chosen if not chosen.empty else users)["Id"].iloc[0])

    def user_id_for_username(self, username: str) -> str | None:
        users = self.active_users()
        hit = users[users["Username"].astype(str).str.lower() == username.lower()]
        return None if hit.empty else str(hit["Id"].iloc[0])

    # -- low-level writes (no validation; callers decide what is allowed) ------------------------
    def new_id(self, schema: SObjectSchema) -> str:
        table = self.tables[schema.name]
        while True:
            self._created[schema.name] += 1
            record_id = make_id(schema.key_prefix, _CREATED_NUMBER_BASE + self._created[schema.name],
                                org_pod(self.name))
            if table.position_of(record_id) is None:
                return record_id

    def insert_record(self, schema: SObjectSchema, values: Mapping[str, Any], *,
                      owner_id: str | None, stamp: pd.Timestamp, user_id: str | None = None) -> tuple[str, int]:
        """Create a record from `values`, filling ids, defaults, derived and system fields."""
        record: dict[str, Any] = {f.name: None for f in schema.fields}
        for spec in schema.fields:
            if spec.sf_type == "boolean":
                record[spec.name] = False
        record.update(DEFAULTS_ON_CREATE.get(schema.name, {}))
        if schema.has_field("OwnerId") and owner_id is not None:
            record["OwnerId"] = owner_id
        record.update(values)
        if schema.name == "Opportunity" and record.get("Probability") is None:
            record["Probability"] = STAGE_PROBABILITY.get(str(record.get("StageName")))
        record.update(derived_fields(schema, record, {name: True for name in record}))
        record_id = self.new_id(schema)
        record.update({"Id": record_id, "IsDeleted": False, "CreatedDate": stamp,
                       "LastModifiedDate": stamp, "SystemModstamp": stamp})
        position = self.tables[schema.name].insert(record)
        self.field_history.record_save(self, schema, record_id, None, record, stamp, user_id or owner_id)
        return record_id, position

    def update_record(self, schema: SObjectSchema, position: int, changes: Mapping[str, Any], *,
                      stamp: pd.Timestamp, user_id: str | None = None) -> dict[str, Any]:
        """Set fields of a record and bump LastModifiedDate/SystemModstamp; returns what was set.
        Tracked fields it changes get their history rows, as `user_id` (else the integration user)."""
        table = self.tables[schema.name]
        record = table.row(position)
        # The values before the save, only for an object whose history the org keeps.
        before = dict(record) if schema.name in self.field_history.tracked else None
        record.update(changes)
        applied = dict(changes)
        applied.update(derived_fields(schema, record, changes))
        applied.update({"LastModifiedDate": stamp, "SystemModstamp": stamp})
        table.update(position, applied)
        if before is not None:
            self.field_history.record_save(self, schema, str(before["Id"]), before, applied, stamp, user_id)
        return applied

    def track_field_history(self, object_name: str, fields: list[str]) -> tuple[str, ...]:
        """Track exactly `fields` of `object_name` from now on (Setup → Set History Tracking)."""
        with self.lock:
            return self.field_history.track(object_name, fields)

    # -- API accounting --------------------------------------------------------------------------
    def record_request(self, method: str, endpoint: str, status: int, fault: Fault | None) -> None:
        with self.lock:
            self._calls[endpoint] += 1
            self._requests.append(RequestRecord(
                time=format_datetime(self.clock.now()) or "", method=method, endpoint=endpoint,
                status=status, faults=fault.rules if fault else ()))

    def call_counts(self) -> dict[str, int]:
        with self.lock:
            return dict(self._calls)

    def requests(self) -> list[RequestRecord]:
        with self.lock:
            return list(self._requests)

    def api_usage(self) -> dict[str, int]:
        now = self.clock.now_ms()
        return {"used": self.usage.used(now), "limit": self.usage.limit}

    def now_text(self) -> str:
        return format_datetime(ms_to_timestamp(self.clock.now_ms())) or ""

    # -- what a CRM user does in the CRM's screens (see crm_user_actions) ----------------------
    def create(self, object_name: str, fields: Mapping[str, Any]) -> str:
        return crm_user_actions.create_record(self, object_name, fields)

    def edit(self, object_name: str, record_id: str, fields: Mapping[str, Any]) -> str:
        return crm_user_actions.edit_record(self, object_name, record_id, fields)

    def delete(self, object_name: str, record_id: str) -> str:
        return crm_user_actions.delete_record(self, object_name, record_id)

    def hard_delete(self, object_name: str, record_id: str) -> str:
        return crm_user_actions.hard_delete_record(self, object_name, record_id)

    def purge(self, object_name: str, record_id: str) -> str:
        return crm_user_actions.purge_record(self, object_name, record_id)

    def empty_recycle_bin(self, object_names: list[str] | None = None) -> dict[str, int]:
        return crm_user_actions.empty_recycle_bin(self, object_names or list(self.tables))

    def undelete(self, object_name: str, record_id: str) -> str:
        return crm_user_actions.undelete_record(self, object_name, record_id)

    def merge(self, object_name: str, master_id: str, merged_ids: list[str]) -> str:
        return crm_user_actions.merge_records(self, object_name, master_id, merged_ids)

    def change_owner(self, object_name: str, record_id: str, owner_id: str) -> str:
        return crm_user_actions.change_owner(self, object_name, record_id, owner_id)

    def convert_lead(self, lead_id: str, *, account_id: str | None = None,
                     contact_id: str | None = None, create_opportunity: bool = True,
                     opportunity_name: str | None = None) -> dict[str, str | None]:
        return crm_user_actions.convert_lead(
            self, lead_id, account_id=account_id, contact_id=contact_id,
            create_opportunity=create_opportunity, opportunity_name=opportunity_name)

    def close_opportunity(self, opportunity_id: str, won: bool = True) -> str:
        return crm_user_actions.close_opportunity(self, opportunity_id, won)

    # -- reading records -------------------------------------------------------------------------
    def rows(self, object_name: str, *, include_deleted: bool = True) -> pd.DataFrame:
        """A copy of an object's table, all fields, deleted records included unless asked not to;
        purged records never (they are gone from the org)."""
        with self.lock:
            table = self.table(object_name)
            frame = table.frame()
            frame = frame[table.present()]
            if not include_deleted:
                frame = frame[~frame["IsDeleted"].astype(bool)]
            return frame.copy()

    def record(self, object_name: str, record_id: str) -> dict[str, Any]:
        """One record's fields as plain Python values (deleted records too)."""
        with self.lock:
            table = self.table(object_name)
            position = table.position_of(record_id)
            if position is None:
                raise KeyError(f"org {self.name}: no {table.schema.name} with id {record_id}")
            return table.row(position)

    def records_json(self, object_name: str, record_ids: list[str] | None = None,
                     base_path: str = "/services/data/v60.0") -> list[dict[str, Any]]:
        """Records in Salesforce's JSON form with every field; all of the object's when no ids."""
        with self.lock:
            table = self.table(object_name)
            frame = table.frame()
            if record_ids is None:
                positions = np.flatnonzero(table.present())
            else:
                found = [table.position_of(i) for i in record_ids]
                positions = np.asarray([p for p in found if p is not None], dtype=np.int64)
            return records_json(table.schema, frame, positions, table.schema.field_names(), base_path)

    # -- limits, faults, clock, validation rules ----------------------------------------------
    def set_api_limit(self, limit: int) -> None:
        self.usage.set_limit(limit)

    def reset_api_window(self) -> None:
        self.usage.reset()

    def use_api_calls(self, calls: int) -> None:
        """Calls other integrations make against the org's daily quota, now."""
        self.usage.consume(self.clock.now_ms(), calls)

    def advance_clock(self, seconds: float) -> pd.Timestamp:
        return self.clock.advance(seconds)

    def set_faults(self, spec: str | None) -> None:
        self.faults.set(spec)

    def add_validation_rule(self, object_name: str, field: str, test: str, value: str = "",
                            message: str | None = None) -> ValidationRule:
        rule = ValidationRule.checked(object_name, field, test, value, message)
        with self.lock:
            self.validation_rules.append(rule)
        return rule

    def clear_validation_rules(self) -> None:
        with self.lock:
            self.validation_rules.clear()

    # -- what clients wrote ----------------------------------------------------------------------
    def writes(self, object_name: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            name = sobject(object_name).name if object_name else None
            return [entry.as_json() for entry in self.write_log.entries(name)]

    def external_id_counts(self, object_name: str,
                           field: str = "App_External_Id__c") -> dict[str, dict[str, int]]:
        """Per external id value clients wrote: live records holding it, writes, and creates."""
        with self.lock:
            table = self.table(object_name)
            spec = table.schema.field(field)
            logged = self.write_log.writes_per_external_id(table.schema.name)
            frame = table.frame()
            live = frame.loc[~frame["IsDeleted"].astype(bool), spec.name].dropna().astype(str)
            held = live.value_counts().to_dict()
            return {value: {"records": int(held.get(value, 0)), **counts}
                    for value, counts in logged.items()}
