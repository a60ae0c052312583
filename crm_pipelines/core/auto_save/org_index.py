"""The tenant's CRM as integer codes and links: who owns what, who manages whom, what hangs off what.

Built once per rebuild from the extracted tables; every rule is then a few array operations on it.

Links, as decided for the rules:
- a contact belongs to the account in its AccountId; a lead to the account in its
  ConvertedAccountId, or, while unconverted, to every account whose website domain is the lead's
  email domain (never a public mail domain such as gmail.com);
- a contact is on an opportunity through an OpportunityContactRole, and through the
  ConvertedOpportunityId of the lead converted into it;
- a converted lead (X5) is no item of any list: the person is its Contact now, which stands on its
  own AccountId, owner and roles; the lead links to no account and no opportunity;
- an opportunity is open when it is neither closed nor deleted (IsClosed NA counts as open).
Deleted contact roles and account team members link nothing. Whether the linked records
themselves are deleted is left to the rules, which never let a deleted record satisfy them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crm_pipelines.core.auto_save.domains import email_domains, website_domains
from crm_pipelines.core.auto_save.frames import RECORD_TYPES, CrmFrames, ListName
from crm_pipelines.core.auto_save.id_codes import IdCodes, arrow_text
from crm_pipelines.core.auto_save.relations import OneToMany

ACCOUNT, LEAD, CONTACT = (RECORD_TYPES.index(t) for t in ("Account", "Lead", "Contact"))
OLDEST = np.iinfo(np.int64).min
NOT_CONVERTED, CONTACT_UNKNOWN = -2, -1
"""converted_to of a record that is not a converted lead, and of one whose Contact is not in the data."""
KEY_PREFIXES = {"001": ACCOUNT, "00Q": LEAD, "003": CONTACT}
"""Salesforce's fixed key prefixes, used for the type of a record no longer in the CRM data."""


@dataclass(frozen=True)
class Records:
    """The records of one list as codes: record i is codes.ids[i]."""

    list: ListName
    codes: IdCodes
    record_type: np.ndarray  # int8 index into RECORD_TYPES
    owner: np.ndarray  # int32 user code, -1 when the owner is not a known user
    deleted: np.ndarray  # bool
    modified: np.ndarray  # int64 ns since the epoch, OLDEST when unknown
    known: int  # records 0..known-1 are in the CRM data; later ones were appended by with_gone

    def __len__(self) -> int:
        return len(self.codes)

    def with_gone(self, ids: pd.Series) -> Records:
        """These records plus those of `ids` missing from the CRM data (never extracted: the warehouse
        keeps purged records, flagged deleted).

        They stay on lists flagged as not live, so they get codes too: appended, deleted (no rule
        holds them), with no owner and the oldest modification time. Records the CRM data flags
        deleted are below `known`; those leave the lists. Their type comes from the id's key prefix.
        """
        wanted = arrow_text(ids).drop_null()
        unknown = pc.unique(wanted.filter(pc.invert(pc.is_in(wanted, value_set=self.codes.ids))))
        if len(unknown) == 0:
            return self
        unknown = unknown.take(pc.sort_indices(unknown))
        types = record_types_by_prefix(unknown)
        allowed = (ACCOUNT,) if self.list == "accounts" else (LEAD, CONTACT)
        wrong = ~np.isin(types, allowed)
        if wrong.any():
            bad = unknown.filter(pa.array(wrong)).to_pylist()[:5]
            raise ValueError(f"list {self.list!r} names record(s) {bad} that are neither in the CRM data "
                             f"nor have the key prefix of a {' or '.join(RECORD_TYPES[t] for t in allowed)}")
        n = len(unknown)
        return Records(
            self.list, self.codes.extended(unknown),
            np.concatenate([self.record_type, types.astype(np.int8)]),
            np.concatenate([self.owner, np.full(n, -1, np.int32)]),
            np.concatenate([self.deleted, np.ones(n, bool)]),
            np.concatenate([self.modified, np.full(n, OLDEST, np.int64)]),
            self.known,
        )


@dataclass(frozen=True)
class OrgIndex:
    users: IdCodes
    manager: np.ndarray  # user code of each user's manager, -1 for none
    accounts: Records
    persons: Records  # leads and contacts together: the records of the other list
    opportunity_account: np.ndarray  # per open opportunity: account code
    opportunity_owner: np.ndarray  # per open opportunity: owner user code
    opportunity_persons: OneToMany  # open opportunity -> leads and contacts on it
    account_contacts: OneToMany  # account -> its contacts that are not deleted
    account_persons: OneToMany  # account -> its contacts and leads
    team_user: np.ndarray  # per live account team member: user code
    team_account: np.ndarray  # ... and account code
    converted_to: np.ndarray  # per person code: its Contact's code when a converted lead (X5), else NOT_CONVERTED

    @classmethod
    def build(cls, crm: CrmFrames, more_user_ids: pd.Series) -> OrgIndex:
        """The index of `crm`; `more_user_ids` are CRM user ids (the matched ones) to code even
        when crm_users lacks them. Each id column is hashed once: the record tables' own ids are
        encoded, and all references to one kind of record are looked up together."""
        t = _coded_tables(crm, more_user_ids)
        r = _references(t)
        converted_to = np.full(len(t.persons), NOT_CONVERTED, np.int64)
        converted_to[t.lead_row[r.converted_lead]] = r.lead_contact[r.converted_lead]
        manager = np.full(len(t.users), -1, np.int64)
        manager[t.user_row] = r.manager_of
        account_records = _records("accounts", t.accounts,
                                   [(t.accounts_frame, t.account_row, r.account_owner, ACCOUNT)])
        person_records = _records("leads_and_contacts", t.persons,
                                  [(t.leads, t.lead_row, r.lead_owner, LEAD),
                                   (t.contacts, t.contact_row, r.contact_owner, CONTACT)])
        account_contacts, account_persons = _account_links(t, r, converted_to)
        opportunity_account, opportunity_owner, opportunity_persons = _opportunity_links(t, r)
        linked = (r.team_user >= 0) & (r.team_account >= 0)
        return cls(t.users, manager, account_records, person_records, opportunity_account, opportunity_owner,
                   opportunity_persons, account_contacts, account_persons, r.team_user[linked],
                   r.team_account[linked], converted_to)

    def records(self, name: ListName) -> Records:
        return self.accounts if name == "accounts" else self.persons

    def converted_contact(self, name: ListName, record: np.ndarray) -> np.ndarray:
        """The Contact's code of each record code that is a converted lead with a known Contact, else -1."""
        out = np.full(len(record), -1, np.int64)
        if name == "accounts":
            return out
        record = np.asarray(record, np.int64)
        inside = (record >= 0) & (record < len(self.converted_to))
        out[inside] = np.maximum(self.converted_to[record[inside]], -1)
        return out

    def converted(self, name: ListName, record: np.ndarray) -> np.ndarray:
        """Whether each record code of list `name` is a converted lead (codes past the CRM data are not)."""
        if name == "accounts":
            return np.zeros(len(record), bool)
        inside = (record >= 0) & (record < len(self.converted_to))
        out = np.zeros(len(record), bool)
        out[inside] = self.converted_to[record[inside]] != NOT_CONVERTED
        return out


@dataclass(frozen=True)
class _CodedTables:
    """Each record table's ids coded once (`*_row`: the code of each kept row) and the table kept
    at one row per id; open opportunities only; live contact roles and team members."""

    users: IdCodes
    user_row: np.ndarray
    users_frame: pd.DataFrame
    accounts: IdCodes
    account_row: np.ndarray
    accounts_frame: pd.DataFrame
    persons: IdCodes
    lead_row: np.ndarray
    leads: pd.DataFrame
    contact_row: np.ndarray
    contacts: pd.DataFrame
    open_opportunities: IdCodes
    opportunity_row: np.ndarray
    opportunities: pd.DataFrame
    roles: pd.DataFrame
    team: pd.DataFrame


def _coded_tables(crm: CrmFrames, more_user_ids: pd.Series) -> _CodedTables:
    users, (user_row, _) = IdCodes.encode(crm.users["id"], more_user_ids)
    user_row, users_frame = _one_row_per_id(user_row, crm.users, len(users))
    accounts, (account_row,) = IdCodes.encode(crm.accounts["id"])
    account_row, accounts_frame = _one_row_per_id(account_row, crm.accounts, len(accounts))
    persons, (lead_row, contact_row) = IdCodes.encode(crm.leads["id"], crm.contacts["id"])
    lead_row, leads = _one_row_per_id(lead_row, crm.leads, len(persons))
    contact_row, contacts = _one_row_per_id(contact_row, crm.contacts, len(persons))
    opportunities = crm.opportunities
    opportunities = opportunities[~(_flag(opportunities["is_closed"]) | _flag(opportunities["is_deleted"]))]
    open_opportunities, (opportunity_row,) = IdCodes.encode(opportunities["id"])
    opportunity_row, opportunities = _one_row_per_id(opportunity_row, opportunities, len(open_opportunities))
    roles = crm.opportunity_contact_roles
    team = crm.account_team_members
    return _CodedTables(users, user_row, users_frame, accounts, account_row, accounts_frame, persons, lead_row, leads,
                        contact_row, contacts, open_opportunities, opportunity_row, opportunities,
                        roles[~_flag(roles["is_deleted"])], team[~_flag(team["is_deleted"])])


@dataclass(frozen=True)
class _References:
    """Every reference between the tables as the code of the record referred to (-1 when unknown),
    all references to one kind of record looked up together."""

    manager_of: np.ndarray
    account_owner: np.ndarray
    lead_owner: np.ndarray
    contact_owner: np.ndarray
    opportunity_owner_of: np.ndarray
    team_user: np.ndarray
    contact_account: np.ndarray
    lead_converted_account: np.ndarray
    opportunity_account_of: np.ndarray
    team_account: np.ndarray
    role_opportunity: np.ndarray
    lead_opportunity: np.ndarray
    role_contact: np.ndarray
    lead_contact: np.ndarray
    converted_lead: np.ndarray
    """Per lead row: converted and not deleted."""


def _references(t: _CodedTables) -> _References:
    leads, contacts, opportunities, team = t.leads, t.contacts, t.opportunities, t.team
    manager_of, account_owner, lead_owner, contact_owner, opportunity_owner_of, team_user = t.users.codes_of_each(
        t.users_frame["manager_id"], t.accounts_frame["owner_id"], leads["owner_id"], contacts["owner_id"],
        opportunities["owner_id"], team["user_id"])
    contact_account, lead_converted_account, opportunity_account_of, team_account = t.accounts.codes_of_each(
        contacts["account_id"], leads["converted_account_id"], opportunities["account_id"], team["account_id"])
    role_opportunity, lead_opportunity = t.open_opportunities.codes_of_each(
        t.roles["opportunity_id"], leads["converted_opportunity_id"])
    converted_lead = _flag(leads["is_converted"]) & ~_flag(leads["is_deleted"])
    role_contact, lead_contact = t.persons.codes_of_each(t.roles["contact_id"], _converted_contact_ids(leads))
    return _References(manager_of, account_owner, lead_owner, contact_owner, opportunity_owner_of, team_user,
                       contact_account, lead_converted_account, opportunity_account_of, team_account,
                       role_opportunity, lead_opportunity, role_contact, lead_contact, converted_lead)


def _account_links(t: _CodedTables, r: _References, converted_to: np.ndarray) -> tuple[OneToMany, OneToMany]:
    """account -> its live contacts, and account -> its contacts and unconverted leads."""
    # Only rules read account -> contacts, and a deleted contact satisfies none: leaving those
    # out here saves filtering millions of pairs later.
    live_contact = np.where(_flag(t.contacts["is_deleted"]), -1, t.contact_row)
    account_contacts = OneToMany.build(r.contact_account, live_contact, len(t.accounts))
    lead_account, lead_of_account = _lead_accounts(t.leads, t.lead_row, r.lead_converted_account, t.accounts_frame,
                                                   t.account_row)
    lead_account = np.where(converted_to[lead_of_account] == NOT_CONVERTED, lead_account, -1)
    account_persons = OneToMany.build(np.concatenate([r.contact_account, lead_account]),
                                      np.concatenate([t.contact_row, lead_of_account]), len(t.accounts))
    return account_contacts, account_persons


def _opportunity_links(t: _CodedTables, r: _References) -> tuple[np.ndarray, np.ndarray, OneToMany]:
    """Per open opportunity: its account, its owner, and the people on it."""
    n = len(t.open_opportunities)
    opportunity_account = np.empty(n, np.int64)
    opportunity_owner = np.empty(n, np.int64)
    opportunity_account[t.opportunity_row] = r.opportunity_account_of
    opportunity_owner[t.opportunity_row] = r.opportunity_owner_of
    # The person a lead brought to an opportunity by its conversion is the Contact it became.
    opportunity_persons = OneToMany.build(np.concatenate([r.role_opportunity, r.lead_opportunity]),
                                          np.concatenate([r.role_contact,
                                                          np.where(r.converted_lead, r.lead_contact, -1)]), n)
    return opportunity_account, opportunity_owner, opportunity_persons


def record_types_by_prefix(ids: pa.Array) -> np.ndarray:
    prefix = pc.utf8_slice_codeunits(ids, 0, 3).to_numpy(zero_copy_only=False)
    types = np.full(len(ids), -1, np.int8)
    for key_prefix, record_type in KEY_PREFIXES.items():
        types[prefix == key_prefix] = record_type
    return types


def _records(name: ListName, codes: IdCodes,
             frames: list[tuple[pd.DataFrame, np.ndarray, np.ndarray, int]]) -> Records:
    """Per record code: type, owner, deleted and last modified, from (frame, its rows' codes,
    their owners' codes, record type)."""
    n = len(codes)
    record_type = np.full(n, -1, np.int8)
    owner = np.full(n, -1, np.int32)
    deleted = np.zeros(n, bool)
    modified = np.full(n, OLDEST, np.int64)
    for frame, at, owner_code, kind in frames:
        record_type[at] = kind
        owner[at] = owner_code
        deleted[at] = _flag(frame["is_deleted"])
        modified[at] = nanoseconds(frame["last_modified_date"])
    return Records(name, codes, record_type, owner, deleted, modified, n)


def _lead_accounts(leads: pd.DataFrame, lead: np.ndarray, converted_account: np.ndarray, accounts: pd.DataFrame,
                   account: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(account code, lead code) pairs: converted leads by ConvertedAccountId, others by domain."""
    converted = _flag(leads["is_converted"])
    by_conversion = np.where(converted, converted_account, -1)
    domains, (account_domain, lead_domain) = IdCodes.encode(website_domains(accounts["website"]),
                                                            email_domains(leads["email"]))
    accounts_of_domain = OneToMany.build(account_domain, account, len(domains))
    by_domain_lead, by_domain_account = accounts_of_domain.follow(np.where(converted, -1, lead_domain), lead)
    return np.concatenate([by_conversion, by_domain_account]), np.concatenate([lead, by_domain_lead])


def _converted_contact_ids(leads: pd.DataFrame) -> pd.Series:
    if "converted_contact_id" in leads.columns:
        return leads["converted_contact_id"]
    return pd.Series(pd.NA, index=leads.index, dtype="string")


def _one_row_per_id(codes: np.ndarray, frame: pd.DataFrame, n_codes: int) -> tuple[np.ndarray, pd.DataFrame]:
    """One row per id, the last one, in case a table was appended to rather than upserted; rows
    without an id are dropped. Returns the kept rows' codes and the kept rows."""
    present = codes >= 0
    seen = np.bincount(codes[present], minlength=n_codes)
    if present.all() and (seen <= 1).all():
        return codes, frame
    last = np.full(n_codes, -1, np.int64)
    np.maximum.at(last, codes[present], np.flatnonzero(present))
    rows = np.sort(last[last >= 0])
    return codes[rows], frame.iloc[rows]


def _flag(column: pd.Series) -> np.ndarray:
    """A boolean column as numpy booleans, NA as False."""
    return column.fillna(False).astype(bool).to_numpy()


def nanoseconds(column: pd.Series) -> np.ndarray:
    """Moments as int64 nanoseconds since the epoch (UTC); missing ones as OLDEST."""
    moments = pd.to_datetime(column, utc=True).dt.tz_convert(None).astype("datetime64[ns]")
    return moments.to_numpy().view(np.int64)
