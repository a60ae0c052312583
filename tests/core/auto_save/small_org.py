"""A small CRM org built by hand, for the auto-save tests.

Users: Mia manages Ana, Ben and Dan; Cy and Mia have no manager. So Ana's, Ben's and Dan's owner
team is {Ana, Ben, Dan}; Cy's is {Cy} and Mia's is {Mia}. Dan is not matched to an app user;
the app user u-eve is matched to no one.

Accounts (owner, website):            Account team:              Opportunities (account, owner):
  ACME      Ana  www.acme.com           GLOBEX   Ana               OPP1  INITECH   Ana  open
  GLOBEX    Ben  globex.com             UMBRELLA Ben               OPP2  ACME      Ben  closed
  INITECH   Dan  initech.com            HOOLI    Cy (deleted)      OPP3  UMBRELLA  Cy   open
  UMBRELLA  Cy   umbrella.io                                       OPP4  HOOLI     Ana  open, deleted
  HOOLI     Mia  hooli.com
  GONE_CO   Ana  (deleted)

Contacts (account, owner):   Contact roles:      Leads (owner, email, conversion):
  C1  ACME      Ana          OPP1 - C3           L1  Ana  pat@acme.com
  C2  GLOBEX    Ben          OPP3 - C4           L2  Cy   sam@gmail.com
  C3  INITECH   Dan          OPP2 - C1           L3  Dan  converted: GLOBEX, OPP1, into C3
  C4  UMBRELLA  Cy                               L4  Ben  kim@globex.com
  C5  HOOLI     Mia                              L5  Ana  lee@initech.com (deleted)
  C6  ACME      Ben (deleted)
  C7  INITECH   Ana
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

import pandas as pd

from crm_pipelines.core.auto_save import (
    AutoSaveInputs,
    AutoSaveResult,
    CrmFrames,
    empty_lists,
    empty_overrides,
    empty_selections,
)

TEXT = pd.StringDtype("pyarrow")
MOMENT = pd.DatetimeTZDtype("us", "UTC")

T0 = pd.Timestamp("2026-06-01T05:00:00Z")
T1 = pd.Timestamp("2026-06-02T05:00:00Z")
T2 = pd.Timestamp("2026-06-03T05:00:00Z")


def sf_id(prefix: str, name: str) -> str:
    return prefix + name.rjust(12, "0") + "AAA"


def day(n: int) -> pd.Timestamp:
    return pd.Timestamp("2026-05-01T00:00:00Z") + pd.Timedelta(days=n)


MIA, ANA, BEN, CY, DAN = (sf_id("005", n) for n in ("mia", "ana", "ben", "cy", "dan"))
ACME, GLOBEX, INITECH, UMBRELLA, HOOLI, GONE_CO = (
    sf_id("001", n) for n in ("acme", "globex", "initech", "umbrella", "hooli", "goneco"))
C1, C2, C3, C4, C5, C6, C7 = (sf_id("003", f"c{i}") for i in range(1, 8))
L1, L2, L3, L4, L5 = (sf_id("00Q", f"l{i}") for i in range(1, 6))
OPP1, OPP2, OPP3, OPP4 = (sf_id("006", f"opp{i}") for i in range(1, 5))

MATCHES = {"u-ana": ANA, "u-ben": BEN, "u-cy": CY, "u-mia": MIA}


def frame(rows: Iterable[dict], types: dict[str, object]) -> pd.DataFrame:
    rows = list(rows)
    return pd.DataFrame({name: pd.Series([row.get(name) for row in rows], dtype=dtype)
                         for name, dtype in types.items()})


_RECORD = {"id": TEXT, "is_deleted": bool, "last_modified_date": MOMENT}


def users(*rows: tuple[str, str | None]) -> pd.DataFrame:
    return frame(({"id": i, "manager_id": m} for i, m in rows), {"id": TEXT, "manager_id": TEXT})


def accounts(*rows: dict) -> pd.DataFrame:
    return frame(rows, {**_RECORD, "owner_id": TEXT, "website": TEXT})


def team(*rows: dict) -> pd.DataFrame:
    return frame(rows, {"account_id": TEXT, "user_id": TEXT, "is_deleted": bool})


def contacts(*rows: dict) -> pd.DataFrame:
    return frame(rows, {**_RECORD, "account_id": TEXT, "owner_id": TEXT})


def leads(*rows: dict) -> pd.DataFrame:
    return frame(rows, {**_RECORD, "email": TEXT, "owner_id": TEXT, "is_converted": bool,
                        "converted_account_id": TEXT, "converted_opportunity_id": TEXT, "converted_contact_id": TEXT})


def opportunities(*rows: dict) -> pd.DataFrame:
    return frame(rows, {"id": TEXT, "account_id": TEXT, "owner_id": TEXT, "is_closed": bool, "is_deleted": bool})


def roles(*rows: tuple[str, str]) -> pd.DataFrame:
    return frame(({"opportunity_id": o, "contact_id": c, "is_deleted": False} for o, c in rows),
                 {"opportunity_id": TEXT, "contact_id": TEXT, "is_deleted": bool})


def small_org() -> CrmFrames:
    return CrmFrames(
        users=users((MIA, None), (ANA, MIA), (BEN, MIA), (CY, None), (DAN, MIA)),
        accounts=accounts(
            {"id": ACME, "owner_id": ANA, "website": "https://www.acme.com/", "last_modified_date": day(10)},
            {"id": GLOBEX, "owner_id": BEN, "website": "globex.com", "last_modified_date": day(20)},
            {"id": INITECH, "owner_id": DAN, "website": "initech.com", "last_modified_date": day(5)},
            {"id": UMBRELLA, "owner_id": CY, "website": "umbrella.io", "last_modified_date": day(7)},
            {"id": HOOLI, "owner_id": MIA, "website": "hooli.com", "last_modified_date": day(3)},
            {"id": GONE_CO, "owner_id": ANA, "website": "gone.example", "last_modified_date": day(1),
             "is_deleted": True},
        ),
        account_team_members=team(
            {"account_id": GLOBEX, "user_id": ANA},
            {"account_id": UMBRELLA, "user_id": BEN},
            {"account_id": HOOLI, "user_id": CY, "is_deleted": True},
        ),
        contacts=contacts(
            {"id": C1, "account_id": ACME, "owner_id": ANA, "last_modified_date": day(11)},
            {"id": C2, "account_id": GLOBEX, "owner_id": BEN, "last_modified_date": day(12)},
            {"id": C3, "account_id": INITECH, "owner_id": DAN, "last_modified_date": day(13)},
            {"id": C4, "account_id": UMBRELLA, "owner_id": CY, "last_modified_date": day(14)},
            {"id": C5, "account_id": HOOLI, "owner_id": MIA, "last_modified_date": day(15)},
            {"id": C6, "account_id": ACME, "owner_id": BEN, "last_modified_date": day(16), "is_deleted": True},
            {"id": C7, "account_id": INITECH, "owner_id": ANA, "last_modified_date": day(17)},
        ),
        leads=leads(
            {"id": L1, "owner_id": ANA, "email": "pat@acme.com", "last_modified_date": day(21)},
            {"id": L2, "owner_id": CY, "email": "sam@gmail.com", "last_modified_date": day(22)},
            {"id": L3, "owner_id": DAN, "email": "jo@globex.com", "is_converted": True,
             "converted_account_id": GLOBEX, "converted_opportunity_id": OPP1, "converted_contact_id": C3,
             "last_modified_date": day(23)},
            {"id": L4, "owner_id": BEN, "email": "kim@globex.com", "last_modified_date": day(24)},
            {"id": L5, "owner_id": ANA, "email": "lee@initech.com", "last_modified_date": day(25),
             "is_deleted": True},
        ),
        opportunities=opportunities(
            {"id": OPP1, "account_id": INITECH, "owner_id": ANA},
            {"id": OPP2, "account_id": ACME, "owner_id": BEN, "is_closed": True},
            {"id": OPP3, "account_id": UMBRELLA, "owner_id": CY},
            {"id": OPP4, "account_id": HOOLI, "owner_id": ANA, "is_deleted": True},
        ),
        opportunity_contact_roles=roles((OPP1, C3), (OPP3, C4), (OPP2, C1)),
    )


def matches(pairs: dict[str, str | None] = MATCHES) -> pd.DataFrame:
    return frame(({"user_id": u, "crm_user_id": c} for u, c in pairs.items()), {"user_id": TEXT, "crm_user_id": TEXT})


def selections(**by_user: tuple[Iterable[str], Iterable[str]]) -> pd.DataFrame:
    """selections(u_ana=(["A1"], ["P3"])): user ids with the dash written as an underscore."""
    if not by_user:
        return empty_selections()
    return pd.DataFrame({
        "user_id": pd.Series([u.replace("_", "-") for u in by_user], dtype=TEXT),
        "account_rules": [frozenset(a) for a, _ in by_user.values()],
        "lead_rules": [frozenset(p) for _, p in by_user.values()],
    })


def only(rules: Iterable[str]) -> pd.DataFrame:
    """Every matched user selects exactly `rules`."""
    rules = list(rules)
    picked = ([r for r in rules if r.startswith("A")], [r for r in rules if r.startswith("P")])
    return selections(**{u.replace("-", "_"): picked for u in MATCHES})


def overrides(*rows: tuple[str, str, str, str, pd.Timestamp]) -> pd.DataFrame:
    if not rows:
        return empty_overrides()
    return frame(({"user_id": u, "list": li, "action": a, "crm_id": c, "at": t} for u, li, a, c, t in rows),
                 {"user_id": TEXT, "list": TEXT, "action": TEXT, "crm_id": TEXT, "at": MOMENT})


def inputs(crm: CrmFrames | None = None, **changes: object) -> AutoSaveInputs:
    base = AutoSaveInputs(crm or small_org(), matches(), empty_selections(), empty_lists(), empty_overrides())
    return dataclasses.replace(base, **changes)


def lists_of(result: AutoSaveResult) -> dict[tuple[str, str], dict[str, tuple[str, ...]]]:
    """{(user, list): {crm_id: rules}} for every non-empty list."""
    out: dict[tuple[str, str], dict[str, tuple[str, ...]]] = {}
    for row in result.lists.itertuples(index=False):
        out.setdefault((row.user_id, row.list), {})[row.crm_id] = tuple(row.rules)
    return out


def ids_of(result: AutoSaveResult) -> dict[tuple[str, str], set[str]]:
    return {key: set(items) for key, items in lists_of(result).items()}


def changes_of(result: AutoSaveResult) -> set[tuple[str, str, str, str, str]]:
    """{(user, list, crm_id, change, reason)}"""
    return {(r.user_id, r.list, r.crm_id, r.change, r.reason) for r in result.changes.itertuples(index=False)}


def with_rows(table: pd.DataFrame, crm_id: str, **values: object) -> pd.DataFrame:
    """`table` with the row of `crm_id` changed."""
    table = table.copy()
    at = table["id"] == crm_id
    assert at.sum() == 1, f"{crm_id} not in table"
    for column, value in values.items():
        table.loc[at, column] = value
    return table
