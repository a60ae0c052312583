"""Zoe's org, for the cap: one account and nine contacts whose priority order is known by hand.

Zoe owns account ZACC and her open opportunity ZOPP is on it. ZACC's contacts, all hers by P2 and
P4, were last modified on these days:
  Z8 day 8, Z7 day 7, then four on day 5: Z4 (on ZOPP), Z6 (owned by Zoe), Z5 and Z9 (neither),
  then Z3 day 3, Z2 day 2, Z1 day 1.
Priority: newest first; on day 5, on her open opportunity first, then owned by her, then by id:
  Z8, Z7, Z4, Z6, Z5, Z9, Z3, Z2, Z1.
Q is a contact of someone else's account OACC: no rule of Zoe's reaches it.
"""

from crm_pipelines.core.auto_save import AutoSaveInputs, CrmFrames

from tests.core.auto_save.small_org import (
    accounts, contacts, day, ids_of, inputs, leads, matches, opportunities, roles, sf_id, team, users,
)

ZOE, OTHER = sf_id("005", "zoe"), sf_id("005", "other")
ZACC, OACC = sf_id("001", "zacc"), sf_id("001", "oacc")
ZOPP = sf_id("006", "zopp")
Z = {n: sf_id("003", f"z{n}") for n in range(1, 11)}
Q = sf_id("003", "q")
LEADS = "leads_and_contacts"

_DAYS = {1: 1, 2: 2, 3: 3, 4: 5, 5: 5, 6: 5, 9: 5, 7: 7, 8: 8}


def zoe_org(*extra_contacts: dict) -> CrmFrames:
    zacc_contacts = [{"id": Z[n], "account_id": ZACC, "owner_id": ZOE if n == 6 else OTHER,
                      "last_modified_date": day(d)} for n, d in _DAYS.items()]
    return CrmFrames(
        users=users((ZOE, None), (OTHER, None)),
        accounts=accounts({"id": ZACC, "owner_id": ZOE, "website": "zacc.com", "last_modified_date": day(1)},
                          {"id": OACC, "owner_id": OTHER, "website": "oacc.com", "last_modified_date": day(1)}),
        account_team_members=team(),
        contacts=contacts(*zacc_contacts, {"id": Q, "account_id": OACC, "owner_id": OTHER,
                                           "last_modified_date": day(9)}, *extra_contacts),
        leads=leads(),
        opportunities=opportunities({"id": ZOPP, "account_id": ZACC, "owner_id": ZOE}),
        opportunity_contact_roles=roles((ZOPP, Z[4])),
    )


def zoe_inputs(crm: CrmFrames | None = None, **changes: object) -> AutoSaveInputs:
    return inputs(crm or zoe_org(), user_matches=matches({"u-zoe": ZOE}), **changes)


def zoe_list(result) -> set[str]:
    return ids_of(result).get(("u-zoe", LEADS), set())
