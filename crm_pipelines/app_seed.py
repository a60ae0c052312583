"""The app's own data for a simulated org, for the demo and the tests: deterministic by seed.

It is built from the org's records (`OrgState.rows` frames, Salesforce field names), so the app
and the CRM share people and companies the way a real tenant's do, mess included. Ids say what
each record is meant to exercise, so a test can state what matching should find:

- app users `u-<n>`: most active CRM users by email (every third with the email upper-cased),
  and `u-nomatch-<n>`, who match nobody (X1);
- prospects `p-id-<n>` hold the CRM id of a live Contact or unconverted Lead (some with a
  stale title, so the sync has something to pull); `p-email-<n>` have no CRM id and an email of a
  live Lead or Contact, some badly cased or padded, some twice (X2, F4.6); `p-new-<n>` are new to
  the CRM and complete (F7 eligible), `p-incomplete-<n>` lack a company or a last name;
- companies `c-id-<n>` hold an Account id, `c-domain-<n>` only the Account's website, `c-name-<n>`
  only a variant of its name, `c-none-<n>` match no Account (X4);
- campaigns (two linked, one active app-only for F6, one inactive), two opportunity stages,
  cadences with active memberships, their touches, activity events, rule selections, a push
  request and a to-do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from crm_pipelines.core.matching import company_domains
from crm_pipelines.settings.sync import TouchOutcome
from crm_pipelines.sim.insightly.integer_ids import integer_id
from crm_pipelines.sim.org_state import OrgState

SEEDED_OBJECTS = ("User", "Account", "Contact", "Lead", "Campaign", "Opportunity")
_OUTCOMES: tuple[TouchOutcome, ...] = ("email_sent", "email_opened", "email_replied", "call_connected",
                                       "call_no_answer", "task_completed")
_EVENT_KINDS = ("email_sent", "email_opened", "call_logged", "meeting_booked")


def app_data_for_org(org: OrgState, *, seed: int = 1) -> dict[str, pd.DataFrame]:
    """The app tables for `org`, timed against the moment its data was generated."""
    return seed_app_data({name: org.rows(name) for name in SEEDED_OBJECTS}, seed=seed, now=org.generated_at)


def app_data_for_insightly_org(org: OrgState, *, seed: int = 1) -> dict[str, pd.DataFrame]:
    """The app tables for the simulator's Insightly org `org`: the same people and companies, with
    the CRM ids an Insightly client sees (whole numbers), and no CRM campaigns (Insightly has none)."""
    frames = {name: _insightly_ids(org.rows(name)) for name in SEEDED_OBJECTS}
    frames["Campaign"] = frames["Campaign"].iloc[0:0]
    return seed_app_data(frames, seed=seed, now=org.generated_at)


def _insightly_ids(frame: pd.DataFrame) -> pd.DataFrame:
    ids = [c for c in frame.columns if c == "Id" or c.endswith("Id")]
    return frame.assign(**{c: frame[c].map(lambda v: None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))
                                           else str(integer_id(str(v)))).astype("string") for c in ids})


def seed_app_data(crm: Mapping[str, pd.DataFrame], *, seed: int, now: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """App table name → its rows (no tenant column), built from the org's frames by object name."""
    rng = np.random.default_rng(seed)
    now = pd.Timestamp(now).tz_convert("UTC")
    users = _app_users(crm["User"], rng)
    prospects = _prospects(crm["Contact"], crm["Lead"], crm["User"], users, rng, now)
    return _app_tables(crm, users, prospects, rng, now)


@dataclass(frozen=True)
class AppSizes:
    """An app seeded at size (issue 17's benchmark): `users` app users (those of the CRM's active
    users the demo seed matches, the rest `u-nomatch-<n>`) and `prospects` prospects, of which
    `matching_share` match the CRM, half of those by CRM id (`p-id-<n>`) and half by email only
    (`p-email-<n>`, some badly cased or padded); the others are new to the CRM (`p-new-<n>`)."""

    users: int = 2_000
    prospects: int = 200_000
    matching_share: float = 0.5

    @property
    def by_id(self) -> int:
        return int(self.prospects * self.matching_share) // 2

    @property
    def by_email(self) -> int:
        return int(self.prospects * self.matching_share) - self.by_id

    @property
    def new(self) -> int:
        return self.prospects - self.by_id - self.by_email


def app_data_for_org_at_size(org: OrgState, sizes: AppSizes, *, seed: int = 1) -> dict[str, pd.DataFrame]:
    """`app_data_for_org` with the users and prospects at `sizes`."""
    return seed_app_data_at_size({name: org.rows(name) for name in SEEDED_OBJECTS}, sizes, seed=seed,
                                 now=org.generated_at)


def seed_app_data_at_size(crm: Mapping[str, pd.DataFrame], sizes: AppSizes, *, seed: int,
                          now: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """`seed_app_data` with exactly `sizes.users` users and `sizes.prospects` prospects; companies,
    campaigns, cadences, touches and activity follow from them as in the demo seed."""
    rng = np.random.default_rng(seed)
    now = pd.Timestamp(now).tz_convert("UTC")
    users = _app_users(crm["User"], rng, size=sizes.users)
    people = _people(crm["Contact"], crm["Lead"])
    if len(people) < sizes.by_id + sizes.by_email:
        raise ValueError(f"the org has {len(people):,} people with an email, fewer than the "
                         f"{sizes.by_id + sizes.by_email:,} matching prospects asked for")
    order = rng.permutation(len(people))
    by_id, by_email = _matching(people, order, sizes.by_id, sizes.by_email)
    new = pd.DataFrame({
        "prospect_id": [f"p-new-{i}" for i in range(1, sizes.new + 1)],
        "email": [f"newcomer{i}@prospect{i}.example" for i in range(1, sizes.new + 1)],
        "first_name": "Nia", "last_name": [f"Newcomb{i}" for i in range(1, sizes.new + 1)],
        "company": [f"Prospect {i} Ltd" for i in range(1, sizes.new + 1)],
    })
    rows = pd.concat([by_id, by_email, new], ignore_index=True)
    prospects = _prospect_frame(rows, crm["User"], users, rng, now)
    return _app_tables(crm, users, prospects, rng, now)


def _app_tables(crm: Mapping[str, pd.DataFrame], users: pd.DataFrame, prospects: pd.DataFrame,
                rng: np.random.Generator, now: pd.Timestamp) -> dict[str, pd.DataFrame]:
    memberships = _memberships(prospects, rng, now)
    return {
        "app_users": users,
        "prospects": prospects,
        "companies": _companies(crm["Account"], rng, now),
        "app_campaigns": _campaigns(crm["Campaign"], now),
        "opportunity_stages": pd.DataFrame({"stage_id": ["st-prospecting", "st-qualification"],
                                            "name": ["Prospecting", "Qualification"],
                                            "is_closed": [False, False], "is_won": [False, False]}),
        "cadences": pd.DataFrame({"cadence_id": ["cad-1", "cad-2"], "name": ["Outbound intro", "Re-engage"]}),
        "cadence_memberships": memberships,
        "cadence_touches": _touches(memberships, prospects, rng, now),
        "activity_events": _activity(prospects, crm["Opportunity"], rng, now),
        "auto_save_rule_selections": pd.DataFrame({
            "user_id": users["user_id"],
            "account_rules": [["A1", "A2", "A3"] if i % 2 == 0 else ["A2"] for i in range(len(users))],
            "lead_rules": [["P1", "P2", "P3", "P4", "P5"] if i % 2 == 0 else ["P3"] for i in range(len(users))],
        }),
        "push_requests": pd.DataFrame({
            "request_id": ["pr-1"], "prospect_id": [prospects["prospect_id"].iloc[0]],
            "requested_by": [users["user_id"].iloc[0]], "requested_at": [now - pd.Timedelta(hours=2)],
            "status": ["pending"],
        }),
        "todos": pd.DataFrame({
            "todo_id": ["todo-1"], "prospect_id": [prospects["prospect_id"].iloc[-1]],
            "assignee_user_id": [users["user_id"].iloc[-1]], "created_at": [now - pd.Timedelta(hours=1)],
        }),
    }


def _live(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.loc[~frame["IsDeleted"].astype(bool)].reset_index(drop=True)


def _days_before(now: pd.Timestamp, rng: np.random.Generator, n: int, low: int, high: int) -> pd.Series:
    days = rng.integers(low, high, size=n)
    return pd.Series(now - pd.to_timedelta(days, unit="D"), dtype="datetime64[us, UTC]")


def _app_users(crm_users: pd.DataFrame, rng: np.random.Generator, size: int | None = None) -> pd.DataFrame:
    """80% of the active CRM users (at most `size` - 2), and two or more `u-nomatch-<n>` to make
    `size` (two when no size is given)."""
    active = _live(crm_users)
    active = active.loc[active["IsActive"].astype(bool) & active["Email"].notna()].reset_index(drop=True)
    matched = active.iloc[: max(1, int(len(active) * 0.8))]
    if size is not None:
        matched = matched.iloc[: max(1, size - 2)]
    emails = matched["Email"].astype("string").reset_index(drop=True)
    emails = emails.where(np.arange(len(emails)) % 3 != 1, emails.str.upper())
    domain = emails.iloc[0].split("@")[-1].lower()
    n_nobody = 2 if size is None else max(2, size - len(matched))
    names = ["New Hire One", "New Hire Two"] + [f"New Hire {i}" for i in range(3, n_nobody + 1)]
    return pd.DataFrame({
        "user_id": [f"u-{i:03d}" for i in range(1, len(matched) + 1)]
        + [f"u-nomatch-{i}" for i in range(1, n_nobody + 1)],
        "email": list(emails) + [f"new.hire{i}@{domain}" for i in range(1, n_nobody + 1)],
        "full_name": list(matched["Name"].astype("string")) + names,
        "is_active": [True] * (len(matched) + n_nobody),
    }).astype({"user_id": "string", "email": "string", "full_name": "string", "is_active": "boolean"})


def _people(contacts: pd.DataFrame, leads: pd.DataFrame) -> pd.DataFrame:
    """Live Contacts and unconverted Leads with an email, Contacts first, as prospect-shaped rows."""
    live_leads = _live(leads)
    live_leads = live_leads.loc[~live_leads["IsConverted"].astype(bool)]
    parts = []
    for frame, crm_type, city, country in ((_live(contacts), "Contact", "MailingCity", "MailingCountry"),
                                           (live_leads, "Lead", "City", "Country")):
        frame = frame.loc[frame["Email"].notna()]
        parts.append(pd.DataFrame({
            "crm_id": frame["Id"], "crm_type": crm_type, "email": frame["Email"],
            "first_name": frame["FirstName"], "last_name": frame["LastName"], "title": frame["Title"],
            "company": frame["Company"] if "Company" in frame else pd.NA, "phone": frame["Phone"],
            "city": frame[city], "country": frame[country], "lead_source": frame["LeadSource"],
            "owner_crm_id": frame["OwnerId"],
        }))
    people = pd.concat(parts, ignore_index=True).astype("string")
    # One person per email, so the email-only prospects below are not ambiguous by construction
    # (the CRM's own duplicates still are, and matching reports them).
    return people.drop_duplicates("email").reset_index(drop=True)


def _prospects(contacts: pd.DataFrame, leads: pd.DataFrame, crm_users: pd.DataFrame, users: pd.DataFrame,
               rng: np.random.Generator, now: pd.Timestamp) -> pd.DataFrame:
    people = _people(contacts, leads)
    order = rng.permutation(len(people))
    by_id, by_email = _matching(people, order, max(2, len(people) // 5), max(2, len(people) // 10))
    twice = by_email.iloc[:2].assign(prospect_id=[f"p-email-dup-{i}" for i in (1, 2)],
                                     email=lambda f: f["email"].str.strip().str.lower())

    domain = str(users["email"].iloc[0]).split("@")[-1].lower()
    n_new = 4
    new = pd.DataFrame({
        "prospect_id": [f"p-new-{i}" for i in range(1, n_new + 1)] + ["p-incomplete-1", "p-incomplete-2"],
        "email": [f"newcomer{i}@prospect{i}.example" for i in range(1, n_new + 1)]
        + [f"nocompany@{domain}", "nolastname@incomplete.example"],
        "first_name": ["Nia", "Omar", "Pia", "Quinn", "Rosa", "Sam"],
        "last_name": ["Newcomb", "Ortega", "Price", "Quade", "Ramos", pd.NA],
        "company": [f"Prospect {i} Ltd" for i in range(1, n_new + 1)] + [pd.NA, "Incomplete Co"],
    })

    rows = pd.concat([by_id, by_email, twice, new], ignore_index=True)
    return _prospect_frame(rows, crm_users, users, rng, now)


def _matching(people: pd.DataFrame, order: np.ndarray, n_id: int, n_email: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The people of `order`'s first `n_id` places as `p-id-<n>` prospects (every fourth with a
    stale title), the next `n_email` as `p-email-<n>` (two in three badly cased or padded)."""
    by_id = people.iloc[order[:n_id]].reset_index(drop=True)
    by_email = people.iloc[order[n_id:n_id + n_email]].reset_index(drop=True)

    by_id = by_id.assign(prospect_id=[f"p-id-{i:04d}" for i in range(1, len(by_id) + 1)])
    stale = np.arange(len(by_id)) % 4 == 0
    by_id["title"] = by_id["title"].where(~stale, "Former title")

    emails = by_email["email"]
    cased = np.arange(len(emails)) % 3
    by_email["email"] = emails.where(cased == 0, emails.str.upper()).where(cased != 2, "  " + emails + " ")
    by_email = by_email.assign(crm_id=pd.NA, crm_type=pd.NA,
                               prospect_id=[f"p-email-{i:04d}" for i in range(1, len(by_email) + 1)])
    return by_id, by_email


def _prospect_frame(rows: pd.DataFrame, crm_users: pd.DataFrame, users: pd.DataFrame, rng: np.random.Generator,
                    now: pd.Timestamp) -> pd.DataFrame:
    """Prospect-shaped `rows` as the app's prospects table: owners mapped to app users, dates drawn."""
    n = len(rows)
    owner_of = dict(zip(_live(crm_users)["Id"].astype(str), _live(crm_users)["Email"].astype("string").str.lower()))
    user_of = dict(zip(users["email"].str.lower(), users["user_id"]))
    owners = rows["owner_crm_id"].map(lambda crm_user: user_of.get(owner_of.get(crm_user, ""), pd.NA),
                                      na_action="ignore")
    fallback = pd.Series(users["user_id"].to_numpy()[np.arange(n) % len(users)])
    owner_user_id = owners.fillna(fallback).astype("string")
    owner_email = owner_user_id.map(dict(zip(users["user_id"], users["email"].str.lower())))
    created = _days_before(now, rng, n, 200, 400)
    return pd.DataFrame({
        "prospect_id": rows["prospect_id"], "crm_id": rows["crm_id"], "crm_type": rows["crm_type"],
        "email": rows["email"], "first_name": rows["first_name"], "last_name": rows["last_name"],
        "title": rows["title"], "company": rows["company"], "phone": rows["phone"], "city": rows["city"],
        "country": rows["country"], "status": pd.NA, "lead_source": rows["lead_source"], "industry": pd.NA,
        "lead_score": np.round(rng.uniform(0, 100, size=n), 1), "opted_out": False, "persona": pd.NA,
        "region": pd.NA, "owner_user_id": owner_user_id, "owner_email": owner_email, "is_deleted": False,
        "merged_into": pd.NA, "created_at": created,
        "updated_at": created + pd.to_timedelta(rng.integers(1, 100, size=n), unit="D"),
        "last_activity_at": pd.Series(pd.NaT, index=range(n), dtype="datetime64[us, UTC]"),
    }).astype({c: "string" for c in ("prospect_id", "crm_id", "crm_type", "email", "first_name", "last_name",
                                     "title", "company", "phone", "city", "country", "status", "lead_source",
                                     "industry", "persona", "region", "owner_user_id", "owner_email",
                                     "merged_into")} | {"opted_out": "boolean", "is_deleted": "boolean"})


def _companies(accounts: pd.DataFrame, rng: np.random.Generator, now: pd.Timestamp) -> pd.DataFrame:
    live = _live(accounts)
    order = live.iloc[rng.permutation(len(live))].reset_index(drop=True)
    domains = company_domains(order["Website"].astype("string")).reset_index(drop=True)
    usable_domain = domains.notna()  # public mail domains are already blanked out
    n = max(1, len(order) // 5)
    by_id = order.iloc[:n]
    rest = order.iloc[n:]
    with_domain = rest.loc[usable_domain.iloc[n:].to_numpy()].iloc[:n]
    by_name = rest.loc[~rest.index.isin(with_domain.index)].iloc[:n]
    frames = [
        pd.DataFrame({"company_id": [f"c-id-{i}" for i in range(1, len(by_id) + 1)],
                      "crm_account_id": by_id["Id"], "name": by_id["Name"], "website": by_id["Website"]}),
        pd.DataFrame({"company_id": [f"c-domain-{i}" for i in range(1, len(with_domain) + 1)],
                      "crm_account_id": pd.NA, "name": pd.NA, "website": with_domain["Website"]}),
        pd.DataFrame({"company_id": [f"c-name-{i}" for i in range(1, len(by_name) + 1)],
                      "crm_account_id": pd.NA, "name": by_name["Name"].astype("string").str.upper() + ", Inc.",
                      "website": pd.NA}),
        pd.DataFrame({"company_id": ["c-none-1", "c-none-2"], "crm_account_id": pd.NA,
                      "name": ["Zzyzx Widgetry 1", "Zzyzx Widgetry 2"],
                      "website": ["https://zzyzx-widgetry-1.example", "https://zzyzx-widgetry-2.example"]}),
    ]
    rows = pd.concat(frames, ignore_index=True).astype("string")
    m = len(rows)
    created = _days_before(now, rng, m, 200, 400)
    return pd.DataFrame({
        "company_id": rows["company_id"], "crm_account_id": rows["crm_account_id"], "name": rows["name"],
        "website": rows["website"], "domain": company_domains(rows["website"]).astype("string"),
        "industry": pd.NA, "type": pd.NA, "city": pd.NA, "country": pd.NA,
        "employee_count": np.nan, "annual_revenue": np.nan, "tier": pd.NA, "owner_email": pd.NA,
        "created_at": created, "updated_at": created + pd.Timedelta(days=1),
    }).astype({c: "string" for c in ("industry", "type", "city", "country", "tier", "owner_email")})


def _campaigns(crm_campaigns: pd.DataFrame, now: pd.Timestamp) -> pd.DataFrame:
    linked = _live(crm_campaigns).iloc[:2]
    at = pd.Series([now - pd.Timedelta(days=300)] * (len(linked) + 2), dtype="datetime64[us, UTC]")
    return pd.DataFrame({
        "campaign_id": [f"cmp-{i}" for i in range(1, len(linked) + 1)] + ["cmp-app-active", "cmp-app-inactive"],
        "crm_campaign_id": list(linked["Id"]) + [pd.NA, pd.NA],
        "name": list(linked["Name"]) + ["Spring webinar series", "Old newsletter"],
        "type": list(linked["Type"]) + ["Webinar", "Email"],
        "status": list(linked["Status"]) + ["Planned", "Completed"],
        "is_active": list(linked["IsActive"].astype(bool)) + [True, False],
        "start_date": pd.to_datetime(list(linked["StartDate"]) + ["2026-07-01", "2025-01-01"]).astype("datetime64[us]"),
        "end_date": pd.to_datetime(list(linked["EndDate"]) + ["2026-07-31", "2025-02-01"]).astype("datetime64[us]"),
        "owner_email": pd.NA, "created_at": at, "updated_at": at,
    }).astype({"campaign_id": "string", "crm_campaign_id": "string", "name": "string", "type": "string",
               "status": "string", "is_active": "boolean", "owner_email": "string"})


def _memberships(prospects: pd.DataFrame, rng: np.random.Generator, now: pd.Timestamp) -> pd.DataFrame:
    members = prospects.loc[prospects["prospect_id"].str.startswith("p-id-")].iloc[::2].reset_index(drop=True)
    n = len(members)
    return pd.DataFrame({
        "membership_id": [f"m-{i:04d}" for i in range(1, n + 1)], "prospect_id": members["prospect_id"],
        "cadence_id": np.where(np.arange(n) % 2 == 0, "cad-1", "cad-2"),
        "current_touch": rng.integers(1, 4, size=n), "status": "active",
        "updated_at": _days_before(now, rng, n, 1, 30),
    }).astype({"membership_id": "string", "prospect_id": "string", "cadence_id": "string",
               "current_touch": "Int64", "status": "string"})


def _touches(memberships: pd.DataFrame, prospects: pd.DataFrame, rng: np.random.Generator,
             now: pd.Timestamp) -> pd.DataFrame:
    done = memberships.loc[memberships.index.repeat(memberships["current_touch"].astype(int))].reset_index(drop=True)
    number = done.groupby("membership_id").cumcount() + 1
    owner = done["prospect_id"].map(dict(zip(prospects["prospect_id"], prospects["owner_user_id"])))
    return pd.DataFrame({
        "touch_id": done["membership_id"] + "-t" + number.astype("string"), "membership_id": done["membership_id"],
        "prospect_id": done["prospect_id"], "user_id": owner, "touch_number": number,
        "outcome": np.asarray(_OUTCOMES)[rng.integers(0, len(_OUTCOMES), size=len(done))],
        "occurred_at": _days_before(now, rng, len(done), 1, 60),
    }).astype({"touch_id": "string", "membership_id": "string", "prospect_id": "string", "user_id": "string",
               "touch_number": "Int64", "outcome": "string"})


def _activity(prospects: pd.DataFrame, opportunities: pd.DataFrame, rng: np.random.Generator,
              now: pd.Timestamp) -> pd.DataFrame:
    actors = prospects.iloc[::3].reset_index(drop=True)
    n = len(actors)
    opportunity = _live(opportunities).iloc[:1]
    on_opportunity = (np.arange(n) % 4 == 0) & (len(opportunity) > 0)
    opp_id = opportunity["Id"].iloc[0] if len(opportunity) else pd.NA
    opp_name = opportunity["Name"].iloc[0] if len(opportunity) else pd.NA
    return pd.DataFrame({
        "event_id": [f"ev-{i:04d}" for i in range(1, n + 1)], "prospect_id": actors["prospect_id"],
        "user_id": actors["owner_user_id"],
        "kind": np.asarray(_EVENT_KINDS)[rng.integers(0, len(_EVENT_KINDS), size=n)],
        "object_type": np.where(on_opportunity, "Opportunity", None),
        "object_id": np.where(on_opportunity, opp_id, None),
        "object_name": np.where(on_opportunity, opp_name, None),
        "occurred_at": _days_before(now, rng, n, 1, 30),
    }).astype({c: "string" for c in ("event_id", "prospect_id", "user_id", "kind", "object_type", "object_id",
                                     "object_name")})
