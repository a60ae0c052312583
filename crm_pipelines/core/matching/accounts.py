"""App companies ↔ CRM Accounts (X4): by CRM id, then website domain, then normalized name.

Stored ids are followed through Account merges (a merged-away Account is deleted with
MasterRecordId set). Domain and name matches only look at live Accounts and only for companies
without a stored id; public mail domains never match. When several Accounts share a domain or a
name, the most recently modified wins, then the smallest id, and the tie is reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crm_pipelines.core.matching.company_names import normalize_company_names
from crm_pipelines.core.matching.domains import company_domains
from crm_pipelines.core.matching.frames import empty_ambiguity_report, flag, require, utc_aware, utc_naive
from crm_pipelines.core.matching.lookup import positions, shared_codes
from crm_pipelines.core.matching.overrides import empty_stale_overrides, latest_overrides, stale_overrides
from crm_pipelines.core.matching.successors import LIVE, MERGED, OWN, Successors, follow_successors

MATCHED_ACCOUNT_COLUMNS = ("company_id", "crm_account_id", "matched_by", "candidates", "ambiguous")

# The columns of crm_accounts match_accounts reads: the addresses and mapped fields place nothing.
ACCOUNT_SOURCE_COLUMNS = ("id", "name", "website", "is_deleted", "last_modified_date", "master_record_id")

# Which match a company keeps when several companies land on one Account (company_of_account).
_PRECEDENCE = {"manual": 0, "id": 1, "merged": 2, "domain": 3, "name": 4}


@dataclass(frozen=True)
class AccountMatches:
    """What X4 found.

    matched: company_id, crm_account_id, matched_by (id|merged|domain|name|manual), candidates,
        ambiguous — one row per matched company.
    ambiguous: key_kind (domain|name), key, crm_account_id, last_modified_date, rank (1 = chosen),
        companies — one row per Account sharing a key some company matched by.
    unmatched_companies: company_id, reason (crm_account_id_not_found | crm_account_deleted |
        no_domain_or_name | no_account_with_domain_or_name).
    accounts_without_company: crm_account_id of live Accounts no company matched.
    stale_overrides: app_id, crm_id, reason.
    """

    matched: pd.DataFrame
    ambiguous: pd.DataFrame
    unmatched_companies: pd.DataFrame
    accounts_without_company: pd.DataFrame
    stale_overrides: pd.DataFrame


def match_accounts(
    companies: pd.DataFrame, crm_accounts: pd.DataFrame, overrides: pd.DataFrame | None = None
) -> AccountMatches:
    """companies: company_id, crm_account_id, name, website (and optionally domain, preferred
    over the website's). crm_accounts: id, name, website, is_deleted, last_modified_date,
    master_record_id. overrides: the match_overrides table (entity == "company" rows are read)."""
    require(companies, ("company_id", "crm_account_id", "name", "website"), "companies")
    require(crm_accounts, ("id", "name", "website", "last_modified_date"), "crm_accounts")
    company_ids = companies["company_id"].astype("string").reset_index(drop=True)
    stored = companies["crm_account_id"].astype("string").reset_index(drop=True)
    account_ids = crm_accounts["id"].astype("string").reset_index(drop=True)
    deleted = flag(crm_accounts, "is_deleted")
    chains = _merge_chains(crm_accounts, account_ids, deleted)
    picks = _by_stored_id(stored, account_ids, chains)
    picks, reports = _by_domain_then_name(picks, stored.isna().to_numpy(), companies, crm_accounts, account_ids,
                                          deleted)
    picks, stale = _by_override(picks, latest_overrides(overrides, "company"), company_ids, account_ids, chains)
    return _account_matches(picks, company_ids, account_ids, deleted, reports, stale)


@dataclass(frozen=True)
class _Picks:
    """Per company: the Account chosen (-1 for none), how, among how many, and why none."""

    account: np.ndarray
    matched_by: np.ndarray
    candidates: np.ndarray
    reason: np.ndarray

    def copy(self) -> _Picks:
        return _Picks(self.account.copy(), self.matched_by.copy(), self.candidates.copy(), self.reason.copy())


def _merge_chains(crm_accounts: pd.DataFrame, account_ids: pd.Series, deleted: np.ndarray) -> Successors:
    """Each Account followed through its merges to the one that holds it now."""
    if "master_record_id" in crm_accounts.columns:
        masters = crm_accounts["master_record_id"].astype("string").reset_index(drop=True)
    else:
        masters = pd.Series(pd.NA, index=account_ids.index, dtype="string")
    merged = deleted & masters.notna().to_numpy()
    return follow_successors(account_ids, masters, np.where(merged, MERGED, OWN).astype(np.int8), deleted)


def _by_stored_id(stored: pd.Series, account_ids: pd.Series, chains: Successors) -> _Picks:
    n = len(stored)
    picks = _Picks(np.full(n, -1, dtype=np.int64), np.full(n, "", dtype="<U7"), np.ones(n, dtype=np.int64),
                   np.full(n, "", dtype="<U30"))
    at = positions(stored, account_ids)
    found = at >= 0
    live = found & _live_at(chains, at)
    picks.account[live] = chains.final[at[live]]
    picks.matched_by[live] = np.where(chains.how[at[live]] == OWN, "id", "merged")
    picks.reason[stored.notna().to_numpy() & ~found] = "crm_account_id_not_found"
    picks.reason[found & ~live] = "crm_account_deleted"
    return picks


def _live_at(chains: Successors, at: np.ndarray) -> np.ndarray:
    # -1 (not found) reads the appended sentinel, which also keeps an empty Account table indexable.
    return np.append(chains.fate, -1)[at] == LIVE


def _by_domain_then_name(picks: _Picks, todo: np.ndarray, companies: pd.DataFrame, crm_accounts: pd.DataFrame,
                         account_ids: pd.Series, deleted: np.ndarray) -> tuple[_Picks, list[pd.DataFrame]]:
    """Companies without a stored id matched to live Accounts by domain, then by name; the
    ambiguity report of each key kind used."""
    picks, todo = picks.copy(), todo.copy()
    offered_rows = np.flatnonzero(~deleted)
    modified = utc_naive(crm_accounts["last_modified_date"])
    company_domain = _company_domain(companies)
    company_names = normalize_company_names(companies["name"]).reset_index(drop=True)
    reports = []
    for kind, app_keys, crm_keys in (
        ("domain", company_domain, company_domains(crm_accounts["website"]).reset_index(drop=True)),
        ("name", company_names, normalize_company_names(crm_accounts["name"]).reset_index(drop=True)),
    ):
        rows = np.flatnonzero(todo)
        if rows.size == 0:
            break
        chosen, count, report = _best_by_key(
            kind, app_keys.iloc[rows].reset_index(drop=True), crm_keys, offered_rows, modified, account_ids)
        hit = chosen >= 0
        picks.account[rows[hit]] = chosen[hit]
        picks.matched_by[rows[hit]] = kind
        picks.candidates[rows[hit]] = count[hit]
        todo[rows[hit]] = False
        reports.append(report)
    no_keys = company_domain.isna().to_numpy() & company_names.isna().to_numpy()
    picks.reason[todo & no_keys] = "no_domain_or_name"
    picks.reason[todo & ~no_keys] = "no_account_with_domain_or_name"
    return picks, reports


def _by_override(picks: _Picks, manual: pd.DataFrame, company_ids: pd.Series, account_ids: pd.Series,
                 chains: Successors) -> tuple[_Picks, pd.DataFrame]:
    """Manual matches to live Accounts win over every other; the rest are stale."""
    if manual.empty:
        return picks, empty_stale_overrides()
    picks = picks.copy()
    o_company = positions(manual["app_id"], company_ids)
    o_at = positions(manual["crm_id"], account_ids)
    o_live = (o_at >= 0) & _live_at(chains, o_at)
    usable = (o_company >= 0) & o_live
    picks.account[o_company[usable]] = chains.final[o_at[usable]]
    picks.matched_by[o_company[usable]] = "manual"
    picks.candidates[o_company[usable]] = 1
    return picks, stale_overrides(manual, o_company >= 0, o_live)


def _account_matches(picks: _Picks, company_ids: pd.Series, account_ids: pd.Series, deleted: np.ndarray,
                     reports: list[pd.DataFrame], stale: pd.DataFrame) -> AccountMatches:
    final, candidates = picks.account, picks.candidates
    hit = np.flatnonzero(final >= 0)
    matched = pd.DataFrame({
        "company_id": company_ids.iloc[hit].to_numpy(),
        "crm_account_id": account_ids.iloc[final[hit]].to_numpy(),
        "matched_by": picks.matched_by[hit],
        "candidates": candidates[hit],
        "ambiguous": candidates[hit] > 1,
    }).astype({"company_id": "string", "crm_account_id": "string", "matched_by": "string"})
    missed = np.flatnonzero(final < 0)
    unmatched = pd.DataFrame({"company_id": company_ids.iloc[missed].to_numpy(), "reason": picks.reason[missed]})
    unmatched = unmatched.astype("string")
    held = np.zeros(len(account_ids), dtype=bool)
    held[final[hit]] = True
    free = account_ids.iloc[np.flatnonzero(~deleted & ~held)].reset_index(drop=True).rename("crm_account_id").to_frame()
    ambiguous = pd.concat(reports, ignore_index=True) if reports else empty_ambiguity_report(
        ("key_kind", "key", "crm_account_id"), "companies")
    return AccountMatches(matched, ambiguous, unmatched, free, stale)


def company_of_account(matched: pd.DataFrame) -> pd.DataFrame:
    """One company per matched Account (crm_account_id, company_id), for linking CRM records
    that point at Accounts (F5). When several companies hold one Account, a manual match beats an
    id match, which beats a merge, a domain and a name; then the smallest company id."""
    order = matched.assign(_precedence=matched["matched_by"].map(_PRECEDENCE).astype("int64"))
    order = order.sort_values(["crm_account_id", "_precedence", "company_id"], kind="stable")
    return order.drop_duplicates("crm_account_id")[["crm_account_id", "company_id"]].reset_index(drop=True)


def _company_domain(companies: pd.DataFrame) -> pd.Series:
    from_website = company_domains(companies["website"]).reset_index(drop=True)
    if "domain" not in companies.columns:
        return from_website
    return company_domains(companies["domain"]).reset_index(drop=True).fillna(from_website)


def _best_by_key(
    kind: str, wanted_keys: pd.Series, crm_keys: pd.Series, offered_rows: np.ndarray,
    modified: np.ndarray, account_ids: pd.Series,
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    (wanted, offered), distinct = shared_codes(wanted_keys, crm_keys.iloc[offered_rows].reset_index(drop=True))
    ranked = pd.DataFrame({
        "code": offered,
        "row": offered_rows,
        "last_modified_date": modified[offered_rows],
        "crm_account_id": account_ids.iloc[offered_rows].to_numpy(),
    })
    ranked = ranked.loc[ranked["code"] >= 0].sort_values(
        ["code", "last_modified_date", "crm_account_id"], ascending=[True, False, True], kind="stable",
        na_position="last")
    ranked["rank"] = ranked.groupby("code").cumcount() + 1
    best = np.full(distinct + 1, -1, dtype=np.int64)
    top = ranked.loc[ranked["rank"] == 1]
    best[top["code"].to_numpy()] = top["row"].to_numpy()
    count = np.bincount(ranked["code"].to_numpy(), minlength=distinct + 1)
    demand = np.bincount(wanted[wanted >= 0], minlength=distinct + 1)
    codes = ranked["code"].to_numpy()
    shared = ranked.loc[(count[codes] > 1) & (demand[codes] > 0)]
    key_of = np.full(distinct + 1, -1, dtype=np.int64)
    present = np.flatnonzero(wanted >= 0)
    key_of[wanted[present]] = present
    report = pd.DataFrame({
        "key_kind": kind,
        "key": wanted_keys.iloc[key_of[shared["code"].to_numpy()]].to_numpy(),
        "crm_account_id": shared["crm_account_id"].to_numpy(),
        "last_modified_date": utc_aware(shared["last_modified_date"].to_numpy()),
        "rank": shared["rank"].to_numpy(),
        "companies": demand[shared["code"].to_numpy()],
    }).astype({"key_kind": "string", "key": "string", "crm_account_id": "string"})
    return best[wanted], count[wanted], report

