"""The auto-save rules of L2 and L3, each as the (CRM user, record) pairs it puts on a list.

A rule function takes the org index and a mask of the CRM users it is wanted for (those whose
app user selected it) and returns two aligned code arrays: user and record. Pairs may repeat;
they are merged per user and record later. A deleted record never satisfies a rule, and nor does
a link through a deleted account, opportunity, contact role or team member: what is in the CRM's
recycle bin is not the user's any more.

P4's owner team is read from crm_users' ManagerId: the team of an account's owner is every user
who has the owner's manager, the owner included; an owner without a manager (or not in
crm_users) is a team of one. So P4 gives a user the contacts of accounts owned by themselves and
by their teammates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

import numpy as np
import pandas as pd

from crm_pipelines.core.auto_save.frames import ListName
from crm_pipelines.core.auto_save.org_index import OrgIndex
from crm_pipelines.core.auto_save.relations import OneToMany

RuleFunction = Callable[[OrgIndex, np.ndarray], tuple[np.ndarray, np.ndarray]]
Pairs = tuple[np.ndarray, np.ndarray]

RULE_CODES: Mapping[ListName, tuple[str, ...]] = MappingProxyType({
    "accounts": ("A1", "A2", "A3"),
    "leads_and_contacts": ("P1", "P2", "P3", "P4", "P5"),
})
"""Each list's rules; a rule's position is its bit in a rule mask."""

OPPORTUNITY_RULE: Mapping[ListName, str] = MappingProxyType({"accounts": "A1", "leads_and_contacts": "P1"})
"""The rule whose pairs are L5's "associated with the user's owned open opportunities"."""

OWNER_RULE: Mapping[ListName, str] = MappingProxyType({"accounts": "A2", "leads_and_contacts": "P3"})
"""The rule that holds because the user owns the record itself."""

RULE_PHRASES: Mapping[str, str] = MappingProxyType({
    "A1": "A1 account on your open opportunity",
    "A2": "A2 account owned by you",
    "A3": "A3 account with you on its Account Team",
    "P1": "P1 on your open opportunity",
    "P2": "P2 of an account you own",
    "P3": "P3 owned by you",
    "P4": "P4 contact of an account owned by your owner team",
    "P5": "P5 contact of an account with you on its Account Team",
})


def accounts_on_owned_open_opportunities(org: OrgIndex, wants: np.ndarray) -> Pairs:
    """A1: the accounts of open opportunities the user owns."""
    owner, account = org.opportunity_owner, org.opportunity_account
    take = _wanted(wants, owner) & (account >= 0)
    return _live(org.accounts.deleted, owner[take], account[take])


def accounts_owned(org: OrgIndex, wants: np.ndarray) -> Pairs:
    """A2: the accounts the user owns."""
    owner = org.accounts.owner[: org.accounts.known]
    account = np.flatnonzero(_wanted(wants, owner))
    return _live(org.accounts.deleted, owner[account], account)


def accounts_with_user_on_team(org: OrgIndex, wants: np.ndarray) -> Pairs:
    """A3: the accounts whose Account Team includes the user."""
    take = _wanted(wants, org.team_user)
    return _live(org.accounts.deleted, org.team_user[take], org.team_account[take])


def persons_on_owned_open_opportunities(org: OrgIndex, wants: np.ndarray) -> Pairs:
    """P1: contacts with a role on, and leads converted into, open opportunities the user owns."""
    opportunity = np.flatnonzero(_wanted(wants, org.opportunity_owner))
    opportunity, person = org.opportunity_persons.follow(opportunity, opportunity)
    return _live(org.persons.deleted, org.opportunity_owner[opportunity], person)


def persons_of_owned_accounts(org: OrgIndex, wants: np.ndarray) -> Pairs:
    """P2: the contacts and leads of accounts the user owns."""
    user, account = accounts_owned(org, wants)
    user, person = org.account_persons.follow(account, user)
    return _live(org.persons.deleted, user, person)


def persons_owned(org: OrgIndex, wants: np.ndarray) -> Pairs:
    """P3: the leads and contacts the user owns."""
    owner = org.persons.owner[: org.persons.known]
    person = np.flatnonzero(_wanted(wants, owner))
    return _live(org.persons.deleted, owner[person], person)


def contacts_of_owner_team_accounts(org: OrgIndex, wants: np.ndarray) -> Pairs:
    """P4: the contacts of accounts owned by anyone in the user's owner team."""
    live = np.flatnonzero(~org.accounts.deleted[: org.accounts.known] & (org.accounts.owner[: org.accounts.known] >= 0))
    owner = org.accounts.owner[live]
    team_of_owner = org.manager[owner]
    wanted_users = np.flatnonzero(wants)
    teammates = OneToMany.build(org.manager[wanted_users], wanted_users, len(org.manager))
    account, teammate = teammates.follow(team_of_owner, live)
    alone = (team_of_owner < 0) & wants[owner]
    user = np.concatenate([teammate, owner[alone]])
    account = np.concatenate([account, live[alone]])
    return org.account_contacts.follow(account, user)


def contacts_of_team_accounts(org: OrgIndex, wants: np.ndarray) -> Pairs:
    """P5: the contacts of accounts whose Account Team includes the user."""
    user, account = accounts_with_user_on_team(org, wants)
    return org.account_contacts.follow(account, user)


RULES: Mapping[str, RuleFunction] = MappingProxyType({
    "A1": accounts_on_owned_open_opportunities,
    "A2": accounts_owned,
    "A3": accounts_with_user_on_team,
    "P1": persons_on_owned_open_opportunities,
    "P2": persons_of_owned_accounts,
    "P3": persons_owned,
    "P4": contacts_of_owner_team_accounts,
    "P5": contacts_of_team_accounts,
})


def rule_masks(values: pd.Series, codes: tuple[str, ...], what: str) -> tuple[np.ndarray, np.ndarray]:
    """Rule collections (sets, tuples, lists, arrays, or text like "A1,A3") as bit masks over
    `codes`, and which values were NA. Unknown codes are refused, naming `what` and the value."""
    values = values.reset_index(drop=True)
    missing = values.isna().to_numpy()
    flat = values.astype(object).explode()
    text = flat.dropna().astype(str).str.split(",").explode().str.strip()
    text = text[text != ""]
    bit = pd.Index(codes).get_indexer(text.to_numpy())
    if (bit < 0).any():
        bad = sorted(set(text[bit < 0]))
        raise ValueError(f"{what} names unknown rule(s) {bad}; known rules are {list(codes)}")
    masks = np.zeros(len(values), np.uint8)
    np.bitwise_or.at(masks, text.index.to_numpy(dtype=np.int64), (1 << bit).astype(np.uint8))
    return masks, missing


def rule_tuples(codes: tuple[str, ...]) -> np.ndarray:
    """Object array: the sorted tuple of rule codes of every mask over `codes`."""
    table = np.empty(1 << len(codes), dtype=object)
    for mask in range(len(table)):
        table[mask] = tuple(code for bit, code in enumerate(codes) if mask >> bit & 1)
    return table


def _wanted(wants: np.ndarray, user: np.ndarray) -> np.ndarray:
    return (user >= 0) & wants[np.maximum(user, 0)]


def _live(deleted: np.ndarray, user: np.ndarray, record: np.ndarray) -> Pairs:
    keep = (record >= 0) & ~deleted[np.maximum(record, 0)]
    return user[keep], record[keep]
