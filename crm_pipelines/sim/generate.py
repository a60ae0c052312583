"""Deterministic org data for the simulator: users, accounts, contacts, leads and the rest, by scale.

The data is meant to look like a few years of a real sales team's CRM, mess included, because the
pipeline has to cope with that mess: duplicate and badly cased emails, public mail domains, merged
and deleted records, converted leads, owners who left, and bulk updates that stamp thousands of
rows with one SystemModstamp.

Everything is drawn column-wise with numpy and built as Arrow strings, so `large` (over a million
contacts and leads) takes seconds, not minutes. Rows are decided by integer codes first (which
first name, which account, which email style), and duplicates are made by copying codes from a
source row before any string exists; strings are built once at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal, get_args

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crm_pipelines.sim import schema as sf
from crm_pipelines.sim.ids import make_id_bytes, org_id, org_pod, stable_number

Scale = Literal["tiny", "small", "medium", "large", "xlarge"]

STRING_DTYPE = pd.StringDtype("pyarrow")
DATETIME_DTYPE = pd.DatetimeTZDtype("ns", "UTC")
DATE_DTYPE = np.dtype("datetime64[ns]")

NOW_BASE = pd.Timestamp("2026-06-01T12:00:00.000Z")

_MS = 1
_SECOND = 1000 * _MS
_MINUTE = 60 * _SECOND
_HOUR = 60 * _MINUTE
_DAY = 24 * _HOUR
_NAT = np.iinfo(np.int64).min  # int64 view of NaT


@dataclass(frozen=True)
class OrgSize:
    users: int
    accounts: int
    contacts: int
    leads: int
    opportunities: int
    campaigns: int
    tasks: int
    team_members_per_account: float
    roles_per_opportunity: float


SCALES: dict[str, OrgSize] = {
    "tiny": OrgSize(8, 40, 150, 120, 30, 6, 40, 1.7, 2.3),
    "small": OrgSize(50, 1_000, 6_000, 4_000, 1_500, 30, 1_500, 2.2, 2.4),
    "medium": OrgSize(300, 20_000, 100_000, 80_000, 30_000, 200, 20_000, 2.2, 2.4),
    "large": OrgSize(2_000, 100_000, 600_000, 450_000, 150_000, 1_000, 100_000, 2.2, 2.4),
    # large × 2.8, about 5 M records over the synced objects: the second point of the chain's curve.
    "xlarge": OrgSize(5_600, 280_000, 1_680_000, 1_260_000, 420_000, 2_800, 280_000, 2.2, 2.4),
}


@dataclass
class OrgData:
    org: str
    org_id: str
    scale: Scale
    seed: int
    tables: dict[str, pd.DataFrame]
    now: pd.Timestamp


def org_now(seed: int) -> pd.Timestamp:
    """The org clock at generation: 2026-06-01T12:00:00Z for seed 1, a few seconds later for others."""
    return NOW_BASE + pd.Timedelta(seconds=(seed - 1) % 3600)


def column_dtype(spec: sf.FieldSpec) -> object:
    """The pandas dtype that holds a field in the org tables."""
    if spec.sf_type == "boolean":
        return np.dtype(bool)
    if spec.sf_type in ("double", "currency", "percent", "int"):
        return np.dtype("float64")
    if spec.sf_type == "datetime":
        return DATETIME_DTYPE
    if spec.sf_type == "date":
        return DATE_DTYPE
    return STRING_DTYPE


def empty_table(name: str) -> pd.DataFrame:
    """A table of object `name` with no rows and the columns and dtypes generated tables have."""
    schema = sf.sobject(name)
    return pd.DataFrame({f.name: pd.Series([], dtype=column_dtype(f)) for f in schema.fields})


def generate_org(org: str, scale: Scale = "tiny", seed: int = 1) -> OrgData:
    """The data of org `org` at `scale`; the same org, scale and seed always give the same tables."""
    if scale not in SCALES:
        raise ValueError(f"scale {scale!r} is not one of {list(get_args(Scale))}")
    if not org:
        raise ValueError("org name must not be empty")
    now = org_now(seed)
    org_hash = stable_number(org)
    entropy = [seed & 0xFFFFFFFF, org_hash & 0xFFFFFFFF, org_hash >> 32, list(SCALES).index(scale)]
    rng = np.random.default_rng(np.random.SeedSequence(entropy))
    tables = _OrgBuilder(org, SCALES[scale], rng, int(now.value // 1_000_000)).build()
    return OrgData(org=org, org_id=org_id(org), scale=scale, seed=seed, tables=tables, now=now)


# --- vocabularies ------------------------------------------------------------------------------

def _words(text: str) -> pa.Array:
    return pa.array(text.split(), pa.string())


FIRST_NAMES = _words("""
James Mary John Patricia Robert Jennifer Michael Linda David Elizabeth William Barbara Richard
Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy Matthew Betty Anthony
Sandra Mark Margaret Donald Ashley Steven Kimberly Andrew Emily Paul Donna Joshua Michelle Kenneth
Carol Kevin Amanda Brian Melissa George Deborah Timothy Stephanie Ronald Rebecca Jason Laura Edward
Helen Jeffrey Sharon Ryan Cynthia Jacob Kathleen Gary Amy Nicholas Angela Eric Shirley Jonathan
Anna Stephen Ruth Larry Brenda Justin Pamela Scott Nicole Brandon Katherine Benjamin Samantha Samuel
Christine Gregory Emma Alexander Catherine Frank Debra Patrick Rachel Raymond Carolyn Jack Janet
Dennis Maria Jerry Olivia Tyler Heather Aaron Diane Jose Julie Adam Joyce Nathan Victoria Henry
Priya Wei Hiroshi Fatima Ahmed Sofia Lukas Chloe Mateo Aisha Ravi Yuki Lars Ingrid Omar Elena Noah
""")
LAST_NAMES = _words("""
Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez
Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark
Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams
Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker
Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper
Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood James
Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross Foster
Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman Butler Henderson Barnes Gonzales Fisher
Vasquez Simmons Romero Jordan Patterson Alexander Hamilton Graham Reynolds Griffin Wallace Moreno
West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro Marshall
Owens Harrison Fernandez McDonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman Webb
Tucker Guzman Burns Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon
O'Brien O'Neil Schmidt Muller Schneider Fischer Weber Becker Dubois Lefevre Rossi Russo Tanaka Suzuki
Sato Watanabe Singh Kumar Sharma Gupta Khan Ali Hassan Novak Kowalski Jensen Hansen Larsen Berg
""")
COMPANY_HEADS = _words("""
Acme Apex Summit Pioneer Vertex Horizon Beacon Cascade Granite Harbor Ironwood Juniper Keystone
Lakeshore Meridian Northwind Oakridge Pinnacle Quantum Redwood Sierra Silverline Stonebridge
Sunrise Tidewater Trident Unity Vanguard Westfield Zenith Atlas Aurora Bluewater Brightpath
Canyon Cedar Citadel Cobalt Compass Crescent Crystal Delta Eagle Echo Ember Evergreen Falcon
Frontier Galaxy Gateway Glacier Golden Greenleaf Highland Hudson Insight Jade Kestrel Liberty
Lighthouse Lumen Magnolia Maple Mariner Meadow Monarch Nexus Nimbus Nova Obsidian Olympic Onyx
Orchid Pacific Paragon Pathfinder Phoenix Polaris Prairie Prism Radiant Rainier Raven Ridgeline
Riverbend Rockwell Sapphire Sequoia Shoreline Skyline Solstice Spectrum Starlight Sterling Stratus
Sycamore Terra Thunder Timberline Titan Topaz Trailhead True Union Valor Vista Willow Windward
Alder Amber Arrow Aspen Bison Bolt Bramble Brook Copper Coral Drift Elm Fern Flint Fox Garnet
Hawk Heron Indigo Iris
""")
COMPANY_MIDDLES = _words("""
Bay Point Creek Peak Valley Stone River Lake Hill Field Ridge Forest Harbor Bridge Gate Park Spring
Wood Rock Sky Star Sun Moon Cloud Wave Wind Fire Ice North South East West Blue Green Red Gold Silver
Black White Bright Clear Swift Prime Grand Great Royal
""")
COMPANY_TAILS = _words("""
Systems Analytics Logistics Foods Energy Health Labs Software Solutions Partners Holdings Industries
Manufacturing Capital Consulting Media Networks Robotics Therapeutics Pharma Motors Materials
Telecom Insurance Financial Retail Brands Outfitters Apparel Hospitality Travel Aviation Marine
Construction Engineering Architects Design Studios Ventures Technologies Data Cloud Security
Devices Semiconductors Biotech Genomics Medical Dental Clinics Education Learning Publishing
Entertainment Games Sports Fitness Nutrition Beverages Farms Agriculture Chemicals Plastics Metals
Mining Utilities Solar Wind Water Waste Recycling Freight Shipping Transport Realty Properties
""")
LEGAL_SUFFIXES = pa.array(["", "Inc.", "Inc", "LLC", "Ltd", "GmbH", "Corp", "Group", "Co."])
_LEGAL_WEIGHTS = np.array([30, 20, 8, 14, 8, 5, 7, 5, 3], dtype=float)
TLDS = pa.array([".com", ".io", ".net", ".co", ".co.uk", ".de", ".fr", ".com.au"])
_TLD_WEIGHTS = np.array([62, 8, 7, 5, 7, 5, 3, 3], dtype=float)
PUBLIC_MAIL_DOMAINS = pa.array(["gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com"])
_PUBLIC_WEIGHTS = np.array([50, 18, 14, 13, 5], dtype=float)
WEBSITE_PREFIXES = pa.array(["https://www.", "http://www.", "www.", "", "https://"])
_WEBSITE_WEIGHTS = np.array([45, 10, 25, 15, 5], dtype=float)

_PLACES = [
    ("San Francisco", "United States", "NA"), ("New York", "United States", "NA"),
    ("Chicago", "United States", "NA"), ("Austin", "United States", "NA"),
    ("Boston", "United States", "NA"), ("Seattle", "United States", "NA"),
    ("Denver", "United States", "NA"), ("Atlanta", "United States", "NA"),
    ("Toronto", "Canada", "NA"), ("Vancouver", "Canada", "NA"), ("London", "United Kingdom", "EMEA"),
    ("Manchester", "United Kingdom", "EMEA"), ("Berlin", "Germany", "EMEA"),
    ("Munich", "Germany", "EMEA"), ("Paris", "France", "EMEA"), ("Lyon", "France", "EMEA"),
    ("Amsterdam", "Netherlands", "EMEA"), ("Dublin", "Ireland", "EMEA"),
    ("Stockholm", "Sweden", "EMEA"), ("Madrid", "Spain", "EMEA"), ("Milan", "Italy", "EMEA"),
    ("Sydney", "Australia", "APAC"), ("Melbourne", "Australia", "APAC"),
    ("Singapore", "Singapore", "APAC"), ("Tokyo", "Japan", "APAC"), ("Bangalore", "India", "APAC"),
    ("Sao Paulo", "Brazil", "LATAM"), ("Mexico City", "Mexico", "LATAM"),
    ("Buenos Aires", "Argentina", "LATAM"), ("Bogota", "Colombia", "LATAM"),
]
CITIES = pa.array([p[0] for p in _PLACES])
COUNTRIES = pa.array([p[1] for p in _PLACES])
REGIONS = pa.array([p[2] for p in _PLACES])
# Most records sit in North America, as in a US-based team's org.
_PLACE_WEIGHTS = np.array([8 if p[2] == "NA" else 3 if p[2] == "EMEA" else 1.5 for p in _PLACES])

PERSON_TITLES = pa.array([
    "CEO", "CFO", "CTO", "COO", "VP Sales", "VP Marketing", "VP Engineering", "Director of IT",
    "Director of Operations", "Head of Procurement", "Marketing Manager", "Sales Manager",
    "IT Manager", "Software Engineer", "Data Analyst", "Operations Manager", "Office Manager",
    "Product Manager", "Account Manager", "Consultant", "Buyer", "Controller",
])
PRODUCTS = pa.array([
    "New Business", "Renewal", "Expansion", "Upsell", "Pilot", "Services", "Platform", "Add-on Seats",
])
CAMPAIGN_THEMES = pa.array([
    "Data Quality", "Pipeline Growth", "Customer Summit", "Product Launch", "Partner Day",
    "Year-End Push", "Security Briefing", "Cloud Migration", "AI Roadshow", "Spring Promo",
])
TASK_SUBJECTS = pa.array([
    "Call", "Email", "Follow up", "Send proposal", "Intro meeting", "Demo", "Check in",
    "Send contract", "Schedule QBR", "Left voicemail",
])
TASK_DESCRIPTIONS = pa.array([
    "Discussed pricing.", "Asked for a case study.", "No answer; try again next week.",
    "Wants a demo for the team.", "Budget review in Q3.", "Sent the deck.",
])
DEPARTMENTS = pa.array(["Sales", "Sales", "Sales", "Marketing", "Customer Success"])


# --- small column tools ------------------------------------------------------------------------

_NULL = pa.scalar(None, pa.string())


def _take(values: pa.Array, index: np.ndarray) -> pa.Array:
    """values[index], with null wherever index is negative."""
    index = np.asarray(index, dtype=np.int64)
    return pc.take(values, pa.array(index, mask=index < 0))


def _join(*parts: pa.Array | str) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _where(mask: np.ndarray, yes: pa.Array | pa.Scalar | str,
           no: pa.Array | pa.Scalar | str) -> pa.Array:
    return pc.if_else(pa.array(np.asarray(mask, dtype=bool)), yes, no)


def _null_where(mask: np.ndarray, values: pa.Array) -> pa.Array:
    return _where(mask, _NULL, values)


def _slug(values: pa.Array) -> pa.Array:
    return pc.replace_substring_regex(pc.utf8_lower(values), r"[^a-z0-9]", "")


def _digits(numbers: np.ndarray, width: int = 0) -> pa.Array:
    text = pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string())
    return pc.utf8_lpad(text, width, "0") if width else text


def company_codes(rng: np.random.Generator, n: int, names: int) -> tuple[np.ndarray, np.ndarray]:
    """`n` distinct company name codes out of `names`, and how many times each name was taken
    before (0 for all while n <= names, as the scales up to large draw them)."""
    rounds = -(-n // names)
    code = rng.choice(names * rounds, n, replace=False)
    return code % names, code // names


def _pick_weighted(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum())


def _pick_from(rng: np.random.Generator, values: np.ndarray, size: int) -> np.ndarray:
    if len(values) == 0:
        raise ValueError("cannot pick from an empty set of rows")
    return values[rng.integers(0, len(values), size)]


def _share(n: int, fraction: float, minimum: int) -> int:
    return min(n, max(minimum, int(round(n * fraction))))


def _carve(rng: np.random.Generator, n: int, counts: list[int]) -> tuple[list[np.ndarray], np.ndarray]:
    """Disjoint random row sets of the given sizes, and the rows left over."""
    if sum(counts) > n:
        raise ValueError(f"cannot carve {sum(counts)} rows out of {n}")
    order = rng.permutation(n)
    parts, at = [], 0
    for count in counts:
        parts.append(np.sort(order[at : at + count]))
        at += count
    return parts, np.sort(order[at:])


def _group_rows(keys: np.ndarray, n_keys: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows sorted by key, with each key's first position and row count, for per-key picks."""
    order = np.argsort(keys, kind="stable")
    counts = np.bincount(keys, minlength=n_keys)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    return order, starts, counts


def _pick_in_group(rng: np.random.Generator, grouped: tuple[np.ndarray, np.ndarray, np.ndarray],
                   keys: np.ndarray) -> np.ndarray:
    """One random row per entry of keys among the rows with that key; -1 where the key has none."""
    order, starts, counts = grouped
    count = counts[keys]
    offset = (rng.random(len(keys)) * count).astype(np.int64)
    if len(order) == 0:
        return np.full(len(keys), -1)
    picked = order[np.minimum(starts[keys] + offset, len(order) - 1)]
    return np.where(count > 0, picked, -1)


# --- timestamps --------------------------------------------------------------------------------

@dataclass
class _Stamps:
    """CreatedDate <= LastModifiedDate <= SystemModstamp < now, as epoch milliseconds."""

    created: np.ndarray
    modified: np.ndarray
    modstamp: np.ndarray


def _stamps(rng: np.random.Generator, n: int, now: int, not_before: np.ndarray | int) -> _Stamps:
    not_before = np.maximum(np.asarray(not_before, dtype=np.int64), now - 4 * 365 * _DAY)
    latest = now - _HOUR
    span = np.maximum(latest - not_before, 0)
    created = not_before + (span * rng.random(n)).astype(np.int64)
    edited = rng.random(n) < 0.7
    modified = created + (edited * rng.random(n) * (latest - created)).astype(np.int64)
    touched = rng.random(n) < 0.1
    modstamp = modified + (touched * rng.random(n) * (latest - modified)).astype(np.int64)
    return _Stamps(created, modified, modstamp)


def _bulk_update(rng: np.random.Generator, stamps: _Stamps, now: int, count: int) -> None:
    """Stamp about `count` rows as bulk updates: a few jobs, each giving many rows one SystemModstamp.

    Job sizes are skewed so that at scale some jobs cover more rows than one query page holds,
    which is what trips cursors that assume a timestamp never repeats across pages.
    """
    n = len(stamps.created)
    if count == 0 or n == 0:
        return
    jobs = max(2, count // 60)
    job_times = now - _MINUTE - rng.integers(0, 120 * _DAY, jobs)
    job = _pick_weighted(rng, 1.0 / np.arange(1, jobs + 1), count)
    # Each job touches rows that existed when it ran: pick among the rows created before it.
    by_created = np.argsort(stamps.created, kind="stable")
    existing = np.searchsorted(stamps.created[by_created], job_times[job], side="right")
    has_rows = existing > 0
    job, existing = job[has_rows], existing[has_rows]
    rows = by_created[(rng.random(len(job)) * existing).astype(np.int64)]
    rows, first = np.unique(rows, return_index=True)
    job = job[first]
    at = job_times[job]
    # Even-numbered jobs are data loads run by a user (LastModifiedDate moves too); odd ones are
    # system recalculations, which move only SystemModstamp.
    by_user = (job % 2) == 0
    stamps.modified[rows] = np.where(by_user, at, np.minimum(stamps.modified[rows], at))
    stamps.modstamp[rows] = at


def _mark_deleted(rng: np.random.Generator, stamps: _Stamps, now: int, rows: np.ndarray) -> None:
    """Deletion (and merging) stamps SystemModstamp within the recycle bin's recent window."""
    deleted_at = now - _MINUTE - rng.integers(0, 20 * _DAY, len(rows))
    stamps.modstamp[rows] = np.maximum(stamps.modified[rows], deleted_at)


def _deleted_share(rng: np.random.Generator, stamps: _Stamps, now: int, share: float) -> np.ndarray:
    """Deletes `share` of the rows (at least one): stamps them and returns which rows are deleted."""
    n = len(stamps.created)
    (deleted,), _ = _carve(rng, n, [_share(n, share, 1)])
    _mark_deleted(rng, stamps, now, deleted)
    is_deleted = np.zeros(n, dtype=bool)
    is_deleted[deleted] = True
    return is_deleted


def _dates(ms: np.ndarray) -> np.ndarray:
    """Midnight UTC of each epoch-millisecond instant (NaT stays NaT)."""
    ms = np.asarray(ms, dtype=np.int64)
    return np.where(ms == _NAT, _NAT, ms - ms % _DAY)


# --- people ------------------------------------------------------------------------------------

@dataclass
class _PersonCodes:
    """Integer codes that decide a person's name and email, drawn before any string exists."""

    first: np.ndarray       # index into FIRST_NAMES, -1 for no first name
    last: np.ndarray        # index into LAST_NAMES
    style: np.ndarray       # 0 first.last, 1 flast, 2 first
    public: np.ndarray      # bool: mail at a public domain
    public_domain: np.ndarray
    number: np.ndarray      # digits appended to public addresses, 0 for none
    empty: np.ndarray       # bool: no email at all

    @staticmethod
    def draw(rng: np.random.Generator, n: int, *, no_first: float, public: float,
             empty: float) -> _PersonCodes:
        first = rng.integers(0, len(FIRST_NAMES), n)
        first[rng.random(n) < no_first] = -1
        with_number = rng.random(n) < 0.7
        return _PersonCodes(
            first=first,
            last=rng.integers(0, len(LAST_NAMES), n),
            style=_pick_weighted(rng, np.array([75, 15, 10]), n),
            public=rng.random(n) < public,
            public_domain=_pick_weighted(rng, _PUBLIC_WEIGHTS, n),
            number=np.where(with_number, rng.integers(1, 1000, n), 0),
            empty=rng.random(n) < empty,
        )

    def copy_from(self, source: np.ndarray) -> None:
        """Make each row the same person as row source[row] (source[row] == row keeps it)."""
        for name in ("first", "last", "style", "public", "public_domain", "number", "empty"):
            setattr(self, name, getattr(self, name)[source])


@dataclass
class _Names:
    first: pa.Array
    last: pa.Array
    full: pa.Array


def _names(codes: _PersonCodes) -> _Names:
    first = _take(FIRST_NAMES, codes.first)
    last = _take(LAST_NAMES, codes.last)
    full = pc.coalesce(pc.binary_join_element_wise(first, last, " "), last)
    return _Names(first, last, full)


def _emails(rng: np.random.Generator, codes: _PersonCodes, names: _Names,
            domain: pa.Array, bad_case: float) -> pa.Array:
    """Work addresses at `domain` in the person's style, or public ones; some badly cased or empty."""
    n = len(codes.last)
    last = _slug(names.last)
    first = pc.coalesce(_slug(names.first), last)
    initial = pc.utf8_slice_codeunits(first, 0, 1)
    style = pa.array(codes.style.astype(np.int8))
    local = pc.choose(style, _join(first, ".", last), _join(initial, last), first)
    public = codes.public | pc.is_null(domain).to_numpy(zero_copy_only=False)
    numbered = _where(codes.number > 0, _join(local, _digits(codes.number)), local)
    local = _where(public, numbered, local)
    domain = _where(public, _take(PUBLIC_MAIL_DOMAINS, codes.public_domain), domain)
    email = _join(local, "@", domain)
    # Two real-world casings: "John.Smith@Acme.Com" and "John.Smith@ACME.COM".
    casing = rng.random(n)
    email = _where(casing < bad_case / 2, pc.utf8_title(email), email)
    shouted = _join(pc.utf8_title(local), "@", pc.utf8_upper(domain))
    email = _where((casing >= bad_case / 2) & (casing < bad_case), shouted, email)
    return _null_where(codes.empty, email)


def _phones(rng: np.random.Generator, n: int, missing: float) -> pa.Array:
    area = _digits(rng.integers(201, 990, n))
    line = _digits(rng.integers(100, 10000, n), 4)
    fmt = pa.array(_pick_weighted(rng, np.array([50, 30, 20]), n).astype(np.int8))
    phone = pc.choose(fmt, _join("(", area, ") 555-", line), _join(area, "-555-", line),
                      _join("+1 ", area, " 555 ", line))
    return _null_where(rng.random(n) < missing, phone)


def _scores(rng: np.random.Generator, n: int, present: float) -> np.ndarray:
    score = np.round(np.clip(rng.normal(45, 25, n), 0, 100))
    return np.where(rng.random(n) < present, score, np.nan)


# --- the builder -------------------------------------------------------------------------------

@dataclass
class _Ids:
    """A table's ids by generation row: numbered in CreatedDate order, like Salesforce's."""

    values: pa.Array
    order: np.ndarray  # generation rows in id order, which is also the table's row order


def _ids(key_prefix: str, created: np.ndarray, pod: str, first_number: int) -> _Ids:
    n = len(created)
    order = np.argsort(created, kind="stable")
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    raw = make_id_bytes(key_prefix, first_number, n, pod)[rank]
    offsets = pa.py_buffer(np.arange(0, 18 * (n + 1), 18, dtype=np.int32).tobytes())
    values = pa.StringArray.from_buffers(n, offsets, pa.py_buffer(raw.tobytes()))
    return _Ids(values, order)


@dataclass(frozen=True)
class _LeadPeople:
    """The leads as people: rows by fate (deleted, merged-away `losers` with the `winners` they
    merged into, converted, twins of contacts) and each lead's owner, name, email and company."""

    deleted: np.ndarray
    losers: np.ndarray
    winners: np.ndarray
    converted: np.ndarray
    contact_twins: np.ndarray
    owner: np.ndarray
    first: pa.Array
    last: pa.Array
    full: pa.Array
    email: pa.Array
    company_name: pa.Array


@dataclass(frozen=True)
class _LeadConversions:
    """Per lead: the contact it became or twins (-1 for none), whether converted, and the account
    and opportunity (-1 for none) the conversion brought."""

    contact: np.ndarray
    converted_mask: np.ndarray
    converted_account: np.ndarray
    deal: np.ndarray


class _OrgBuilder:
    def __init__(self, org: str, size: OrgSize, rng: np.random.Generator, now_ms: int) -> None:
        self.org = org
        self.size = size
        self.rng = rng
        self.now = now_ms
        self.tables: dict[str, pd.DataFrame] = {}
        self.ids: dict[str, _Ids] = {}
        self.pod = org_pod(org)
        # Ids then look like 0035g00000Xyz12AAA, five significant characters as in young orgs.
        self.first_number = 62**4 * (10 + stable_number("ids:" + org) % 40)

    def build(self) -> dict[str, pd.DataFrame]:
        self._users()
        self._campaigns()
        self._accounts()
        self._account_team()
        self._contacts()
        self._opportunities()
        self._contact_roles()
        self._leads()
        self._tasks()
        return {name: self.tables[name] for name in sf.OBJECTS}

    # Frames ---------------------------------------------------------------------------------

    def _emit(self, name: str, stamps: _Stamps, deleted: np.ndarray,
              columns: dict[str, object]) -> None:
        """Check the columns against the schema, give them their dtypes and store the table."""
        schema = sf.OBJECTS[name]
        ids = self.ids[name]
        columns = {"Id": ids.values, "IsDeleted": deleted, "CreatedDate": stamps.created,
                   "LastModifiedDate": stamps.modified, "SystemModstamp": stamps.modstamp,
                   **columns}
        expected = schema.field_names()
        missing = sorted(set(expected) - set(columns))
        extra = sorted(set(columns) - set(expected))
        if missing or extra:
            raise ValueError(f"generated {name} columns differ from the schema: "
                             f"missing {missing}, extra {extra}")
        order = ids.order
        data = {spec.name: _column(spec, columns[spec.name], order) for spec in schema.fields}
        self.tables[name] = pd.DataFrame(data)

    def _ids(self, key_prefix: str, created: np.ndarray) -> _Ids:
        return _ids(key_prefix, created, self.pod, self.first_number)

    def _owners(self, n: int) -> np.ndarray:
        """Record owners: mostly reps, some managers, a few users who have since left."""
        kind = _pick_weighted(self.rng, np.array([85, 11, 4]), n)
        pools = (self.reps_active, self.managers, self.inactive)
        owners = _pick_from(self.rng, self.reps_active, n)
        for k in (1, 2):
            mask = kind == k
            if len(pools[k]):
                owners[mask] = _pick_from(self.rng, pools[k], int(mask.sum()))
        return owners

    # Users ----------------------------------------------------------------------------------

    def _users(self) -> None:
        rng, n = self.rng, self.size.users
        managers = max(2, n // 8)
        # Row 0 heads sales, rows 1..managers run a team each, the rest are reps on those teams.
        rows = np.arange(n)
        reps = rows[managers + 1 :]
        manager_of = np.zeros(n, dtype=np.int64)
        manager_of[0] = -1
        manager_of[reps] = 1 + rng.permutation(len(reps)) % managers  # teams of even size
        (inactive,), _ = _carve(rng, len(reps), [max(1, len(reps) // 15)])
        inactive = reps[inactive]
        active = np.ones(n, dtype=bool)
        active[inactive] = False
        self.user_count = n
        self.managers = rows[: managers + 1]
        self.inactive = inactive
        self.reps_active = reps[active[reps]]
        # A rep's team is its manager's; a manager's team is its own; used for account teams.
        self.team_of = np.where(rows <= managers, rows, manager_of)

        pair = rng.choice(len(FIRST_NAMES) * len(LAST_NAMES), n, replace=False)
        codes = _PersonCodes.draw(rng, n, no_first=0, public=0, empty=0)
        codes.first, codes.last = pair // len(LAST_NAMES), pair % len(LAST_NAMES)
        names = _names(codes)
        org_slug = "".join(c for c in self.org.lower() if c.isalnum()) or "org"
        email = _join(_slug(names.first), ".", _slug(names.last), "@", f"{org_slug}.com")
        title = pa.array(["VP Sales"] + ["Sales Manager"] * managers
                         + ["Account Executive"] * (n - managers - 1))
        stamps = _stamps(rng, n, self.now, self.now - 4 * 365 * _DAY)
        stamps.created[0] = self.now - 4 * 365 * _DAY  # the first user opened the org
        stamps.modified = np.maximum(stamps.modified, stamps.created)
        stamps.modstamp = np.maximum(stamps.modstamp, stamps.modified)
        self.user_created = stamps.created
        self.ids["User"] = self._ids("005", stamps.created)
        self._emit("User", stamps, np.zeros(n, dtype=bool), {
            "Username": email,
            "Email": email,
            "FirstName": names.first,
            "LastName": names.last,
            "Name": names.full,
            "Title": title,
            "IsActive": active,
            "ManagerId": _take(self.ids["User"].values, manager_of),
            "Department": _take(DEPARTMENTS, np.where(rows <= managers, 0,
                                                      rng.integers(0, len(DEPARTMENTS), n))),
        })

    # Campaigns ------------------------------------------------------------------------------

    def _campaigns(self) -> None:
        rng, n, now = self.rng, self.size.campaigns, self.now
        start = _dates(now - rng.integers(-60 * _DAY, 2 * 365 * _DAY, n))
        end = start + rng.integers(14, 120, n) * _DAY
        status = np.where(start > now, 0, np.where(end >= now, 1, 2))  # Planned, In Progress, done
        status = np.where((status == 2) & (rng.random(n) < 0.1), 3, status)  # Aborted
        # Marketers forget to untick Active: some finished campaigns still show it.
        stale = rng.random(n)
        active = np.where(status == 1, True, np.where(status == 0, stale < 0.5, stale < 0.1))
        year = pd.DatetimeIndex(start.astype("datetime64[ms]")).year.to_numpy()
        kind = rng.integers(0, len(sf.CAMPAIGN_TYPES), n)
        name = _join(_digits(year), " ", _take(pa.array(sf.CAMPAIGN_TYPES), kind), " - ",
                     _take(CAMPAIGN_THEMES, rng.integers(0, len(CAMPAIGN_THEMES), n)))
        stamps = _stamps(rng, n, now, np.minimum(start - 30 * _DAY, now - 2 * _DAY))
        (deleted,), _ = _carve(rng, n, [_share(n, 0.03, 0)])
        _mark_deleted(rng, stamps, now, deleted)
        is_deleted = np.zeros(n, dtype=bool)
        is_deleted[deleted] = True
        self.campaign_live = np.flatnonzero(~is_deleted)
        self.ids["Campaign"] = self._ids("701", stamps.created)
        self._emit("Campaign", stamps, is_deleted, {
            "Name": name,
            "Type": _take(pa.array(sf.CAMPAIGN_TYPES), kind),
            "Status": _take(pa.array(sf.CAMPAIGN_STATUSES), status),
            "IsActive": active,
            "StartDate": start,
            "EndDate": end,
            "OwnerId": _take(self.ids["User"].values, self._owners(n)),
            "App_External_Id__c": pa.nulls(n, pa.string()),
        })

    # Accounts -------------------------------------------------------------------------------

    def _companies(self) -> None:
        """Company names and domains: the org's accounts first, then prospects only leads name."""
        rng = self.rng
        n_accounts = self.size.accounts
        n = n_accounts + max(1, self.size.leads // 4)
        heads, middles, tails = len(COMPANY_HEADS), len(COMPANY_MIDDLES) + 1, len(COMPANY_TAILS)
        code, repeat = company_codes(rng, n, heads * middles * tails)
        head, rest = code // (middles * tails), code % (middles * tails)
        middle, tail = rest // tails - 1, rest % tails  # middle -1: a two-word name
        head_s = _take(COMPANY_HEADS, head)
        middle_s = _take(COMPANY_MIDDLES, middle)
        tail_s = _take(COMPANY_TAILS, tail)
        base = pc.coalesce(pc.binary_join_element_wise(head_s, middle_s, tail_s, " "),
                           pc.binary_join_element_wise(head_s, tail_s, " "))
        if repeat.any():  # more companies than names (xlarge): a name's later holders carry a number
            base = _where(repeat > 0, _join(base, " ", _digits(repeat + 1)), base)
        legal = _take(LEGAL_SUFFIXES, _pick_weighted(rng, _LEGAL_WEIGHTS, n))
        self.company_base = base
        self.company_name = _where(pc.equal(legal, "").to_numpy(zero_copy_only=False), base,
                                   pc.binary_join_element_wise(base, legal, " "))
        tld = _take(TLDS, _pick_weighted(rng, _TLD_WEIGHTS, n))
        self.company_domain = _join(_slug(base), tld)

    def _accounts(self) -> None:
        self._companies()
        rng, n, now = self.rng, self.size.accounts, self.now
        (deleted, losers, shared), rest = _carve(
            rng, n, [_share(n, 0.01, 1), _share(n, 0.015, 2), _share(n, 0.03, 2)])
        winners = _pick_from(rng, rest, len(losers))
        # A merged loser was a duplicate of its winner: same company, same domain.
        company = np.arange(n)
        company[losers] = winners
        domain_of = company.copy()
        domain_of[shared] = _pick_from(rng, rest, len(shared))  # subsidiaries share a domain
        owner = self._owners(n)
        owner[losers] = owner[winners]
        domain = _take(self.company_domain, domain_of)
        self.account_domain = domain
        prefix = _take(WEBSITE_PREFIXES, _pick_weighted(rng, _WEBSITE_WEIGHTS, n))
        slash = _where(rng.random(n) < 0.2, "/", "")
        website = _null_where(rng.random(n) < 0.08, _join(prefix, domain, slash))
        place = _pick_weighted(rng, _PLACE_WEIGHTS, n)
        employees = np.round(np.exp(rng.normal(5.0, 1.8, n)) + 1)
        tier = np.where(employees > 5000, 0, np.where(employees > 500, 1, 2))
        revenue = np.round(employees * np.exp(rng.normal(np.log(150_000), 0.6, n)), -3)
        parent = (rng.random(n) * np.arange(n)).astype(np.int64)  # an earlier row: no cycles
        is_deleted = np.zeros(n, dtype=bool)
        is_deleted[deleted] = True
        is_deleted[losers] = True
        has_parent = (rng.random(n) < 0.04) & (np.arange(n) > 0) & ~is_deleted[parent] & ~is_deleted
        stamps = _stamps(rng, n, now, self.user_created[owner])
        _bulk_update(rng, stamps, now, _share(n, 0.06, 8))
        _mark_deleted(rng, stamps, now, np.concatenate([deleted, losers]))
        master = np.full(n, -1)
        master[losers] = winners
        self.account_live = np.flatnonzero(~is_deleted)
        self.account_owner = owner
        self.account_created = stamps.created
        self.account_place = place
        # Accounts differ in size: a few hold many contacts and deals, most hold a handful.
        weight = np.exp(rng.normal(0, 1.0, n)) * ~is_deleted
        self.account_weight = weight / weight.sum()
        self.ids["Account"] = ids = self._ids("001", stamps.created)
        self._emit("Account", stamps, is_deleted, {
            "Name": _take(self.company_name, company),
            "Website": website,
            "Industry": _null_where(rng.random(n) < 0.1, _take(
                pa.array(sf.INDUSTRIES), rng.integers(0, len(sf.INDUSTRIES), n))),
            "Type": _take(pa.array(sf.ACCOUNT_TYPES), _pick_weighted(
                rng, np.array([35, 30, 10, 8, 5, 7, 5]), n)),
            "OwnerId": _take(self.ids["User"].values, owner),
            "ParentId": _take(ids.values, np.where(has_parent, parent, -1)),
            "BillingCity": _null_where(rng.random(n) < 0.05, _take(CITIES, place)),
            "BillingCountry": _null_where(rng.random(n) < 0.05, _take(COUNTRIES, place)),
            "NumberOfEmployees": np.where(rng.random(n) < 0.1, np.nan, employees),
            "AnnualRevenue": np.where(rng.random(n) < 0.2, np.nan, revenue),
            "MasterRecordId": _take(ids.values, master),
            "Tier__c": _take(pa.array(sf.ACCOUNT_TIERS), np.where(rng.random(n) < 0.15, -1, tier)),
        })

    def _account_team(self) -> None:
        """Users on the teams of accounts they do not own, mostly the owner's teammates."""
        rng = self.rng
        live = self.account_live
        n = int(round(len(live) * self.size.team_members_per_account))
        account = rng.choice(len(self.account_weight), n, p=self.account_weight)
        owner = self.account_owner[account]
        teams = _group_rows(self.team_of, self.user_count)
        user = _pick_in_group(rng, teams, self.team_of[owner])
        anyone = (owner + rng.integers(1, self.user_count, n)) % self.user_count
        user = np.where((rng.random(n) < 0.35) | (user == owner) | (user < 0), anyone, user)
        pair = np.unique(account * self.user_count + user)
        account, user = pair // self.user_count, pair % self.user_count
        n = len(pair)
        stamps = _stamps(rng, n, self.now, np.maximum(self.account_created[account],
                                                      self.user_created[user]))
        _bulk_update(rng, stamps, self.now, _share(n, 0.05, 4))
        is_deleted = _deleted_share(rng, stamps, self.now, 0.02)
        self.ids["AccountTeamMember"] = self._ids("01M", stamps.created)
        self._emit("AccountTeamMember", stamps, is_deleted, {
            "AccountId": _take(self.ids["Account"].values, account),
            "UserId": _take(self.ids["User"].values, user),
            "TeamMemberRole": _take(pa.array(sf.TEAM_MEMBER_ROLES),
                                    rng.integers(0, len(sf.TEAM_MEMBER_ROLES), n)),
            "AccountAccessLevel": _take(pa.array(sf.ACCESS_LEVELS),
                                        _pick_weighted(rng, np.array([50, 45, 5]), n)),
        })

    # Contacts -------------------------------------------------------------------------------

    def _contacts(self) -> None:
        rng, n, now = self.rng, self.size.contacts, self.now
        account = rng.choice(len(self.account_weight), n, p=self.account_weight)
        account[rng.random(n) < 0.02] = -1  # private contacts, on no account
        owner = np.where(account >= 0, self.account_owner[np.maximum(account, 0)], -1)
        owner = np.where((owner < 0) | (rng.random(n) < 0.15), self._owners(n), owner)
        codes = _PersonCodes.draw(rng, n, no_first=0.02, public=0.05, empty=0.04)
        (deleted, losers, twins), rest = _carve(
            rng, n, [_share(n, 0.02, 2), _share(n, 0.015, 2), _share(n, 0.01, 2)])
        # Merged losers and live twins are the same person as another contact, same account.
        source = np.arange(n)
        winners = _pick_from(rng, rest, len(losers))
        source[losers] = winners
        source[twins] = _pick_from(rng, rest, len(twins))
        codes.copy_from(source)
        account, owner = account[source], owner[source]
        names = _names(codes)
        email = _emails(rng, codes, names, _take(self.account_domain, account), bad_case=0.05)
        place = np.where((account >= 0) & (rng.random(n) < 0.7),
                         self.account_place[np.maximum(account, 0)],
                         _pick_weighted(rng, _PLACE_WEIGHTS, n))
        is_deleted = np.zeros(n, dtype=bool)
        is_deleted[deleted] = True
        is_deleted[losers] = True
        not_before = np.where(account >= 0, self.account_created[np.maximum(account, 0)],
                              self.user_created[owner])
        stamps = _stamps(rng, n, now, not_before)
        _bulk_update(rng, stamps, now, _share(n, 0.06, 10))
        _mark_deleted(rng, stamps, now, np.concatenate([deleted, losers]))
        master = np.full(n, -1)
        master[losers] = winners
        self.contact_account = account
        self.contact_owner = owner
        self.contact_created = stamps.created
        self.contact_live = np.flatnonzero(~is_deleted)
        self.ids["Contact"] = ids = self._ids("003", stamps.created)
        self.contact_columns = {
            "FirstName": names.first, "LastName": names.last, "Name": names.full, "Email": email,
        }
        self._emit("Contact", stamps, is_deleted, {
            "AccountId": _take(self.ids["Account"].values, account),
            **self.contact_columns,
            "Title": _null_where(rng.random(n) < 0.15, _take(
                PERSON_TITLES, rng.integers(0, len(PERSON_TITLES), n))),
            "Phone": _phones(rng, n, missing=0.25),
            "MailingCity": _null_where(rng.random(n) < 0.2, _take(CITIES, place)),
            "MailingCountry": _null_where(rng.random(n) < 0.15, _take(COUNTRIES, place)),
            "OwnerId": _take(self.ids["User"].values, owner),
            "LeadSource": _null_where(rng.random(n) < 0.3, _take(
                pa.array(sf.LEAD_SOURCES), rng.integers(0, len(sf.LEAD_SOURCES), n))),
            "HasOptedOutOfEmail": rng.random(n) < 0.04,
            "MasterRecordId": _take(ids.values, master),
            **self._person_custom(n, place, score=0.4),
        })

    def _person_custom(self, n: int, place: np.ndarray, score: float) -> dict[str, object]:
        rng = self.rng
        return {
            "App_External_Id__c": pa.nulls(n, pa.string()),  # set only by the app's pushes
            "Lead_Score__c": _scores(rng, n, present=score),
            "Persona__c": _null_where(rng.random(n) < 0.5, _take(
                pa.array(sf.PERSONAS), rng.integers(0, len(sf.PERSONAS), n))),
            "Region__c": _null_where(rng.random(n) < 0.4, _take(REGIONS, place)),
        }

    # Opportunities --------------------------------------------------------------------------

    def _opportunities(self) -> None:
        rng, n, now = self.rng, self.size.opportunities, self.now
        account = rng.choice(len(self.account_weight), n, p=self.account_weight)
        owner = np.where(rng.random(n) < 0.8, self.account_owner[account], self._owners(n))
        stamps = _stamps(rng, n, now, self.account_created[account])
        closed = rng.random(n) < 0.4
        won = closed & (rng.random(n) < 0.45)
        open_stage = _pick_weighted(rng, np.array([30, 25, 15, 18, 12]), n)
        stage = np.where(won, 5, np.where(closed, 6, open_stage))
        probability = np.array([10, 20, 25, 50, 75, 100, 0], dtype=float)[stage]
        closed_on = stamps.created + (rng.random(n) * (now - stamps.created)).astype(np.int64)
        expected = now + rng.integers(-30 * _DAY, 180 * _DAY, n)  # some open deals are overdue
        close_date = _dates(np.where(closed, closed_on, expected))
        amount = np.round(np.exp(rng.normal(np.log(25_000), 1.0, n)), -2)
        campaign = np.where(rng.random(n) < 0.3, _pick_from(rng, self.campaign_live, n), -1) \
            if len(self.campaign_live) else np.full(n, -1)
        _bulk_update(rng, stamps, now, _share(n, 0.05, 4))
        (deleted,), _ = _carve(rng, n, [_share(n, 0.01, 1)])
        _mark_deleted(rng, stamps, now, deleted)
        is_deleted = np.zeros(n, dtype=bool)
        is_deleted[deleted] = True
        self.opportunity_account = account
        self.opportunity_live = np.flatnonzero(~is_deleted)
        self.ids["Opportunity"] = self._ids("006", stamps.created)
        self._emit("Opportunity", stamps, is_deleted, {
            "Name": _join(_take(self.company_name, account), " - ",
                          _take(PRODUCTS, rng.integers(0, len(PRODUCTS), n))),
            "AccountId": _take(self.ids["Account"].values, account),
            "OwnerId": _take(self.ids["User"].values, owner),
            "StageName": _take(pa.array(sf.OPPORTUNITY_STAGES), stage),
            "CloseDate": close_date,
            "Amount": np.where(rng.random(n) < 0.05, np.nan, amount),
            "Probability": probability,
            "IsClosed": closed,
            "IsWon": won,
            "CampaignId": _take(self.ids["Campaign"].values, campaign),
        })

    def _contact_roles(self) -> None:
        """Contacts of the deal's account in roles on it; the first role on a deal is primary."""
        rng = self.rng
        deals = self.opportunity_live
        per_deal = rng.poisson(self.size.roles_per_opportunity, len(deals))
        opportunity = np.repeat(deals, per_deal)
        live = self.contact_live
        on_account = live[self.contact_account[live] >= 0]
        by_account = _group_rows(self.contact_account[on_account], len(self.account_created))
        picked = _pick_in_group(rng, by_account, self.opportunity_account[opportunity])
        keep = picked >= 0
        opportunity, contact = opportunity[keep], on_account[picked[keep]]
        key = np.unique(opportunity.astype(np.int64) * len(self.contact_account) + contact)
        opportunity, contact = key // len(self.contact_account), key % len(self.contact_account)
        n = len(key)
        primary = np.ones(n, dtype=bool)
        primary[1:] = opportunity[1:] != opportunity[:-1]
        stamps = _stamps(rng, n, self.now, self.contact_created[contact])
        is_deleted = _deleted_share(rng, stamps, self.now, 0.01)
        self.ids["OpportunityContactRole"] = self._ids("00K", stamps.created)
        self._emit("OpportunityContactRole", stamps, is_deleted, {
            "OpportunityId": _take(self.ids["Opportunity"].values, opportunity),
            "ContactId": _take(self.ids["Contact"].values, contact),
            "Role": _null_where(rng.random(n) < 0.1, _take(
                pa.array(sf.CONTACT_ROLES), rng.integers(0, len(sf.CONTACT_ROLES), n))),
            "IsPrimary": primary,
        })

    # Leads ----------------------------------------------------------------------------------

    def _leads(self) -> None:
        people = self._lead_people()
        people, conversions = self._lead_conversions(people)
        stamps, converted_date = self._lead_stamps(people, conversions)
        self._emit_leads(people, conversions, stamps, converted_date)

    def _lead_people(self) -> _LeadPeople:
        """Who the leads are, before conversions: their companies, owners, names and emails, and
        which rows are deleted, merged away (into `winners`), converted or twins of contacts."""
        rng, n = self.rng, self.size.leads
        n_companies = len(self.company_name)
        n_accounts = self.size.accounts
        # Some leads come from companies that are already accounts, most from prospects.
        company = np.where(rng.random(n) < 0.35,
                           _pick_from(rng, self.account_live, n),
                           rng.integers(n_accounts, n_companies, n))
        owner = self._owners(n)
        codes = _PersonCodes.draw(rng, n, no_first=0.03, public=0.12, empty=0.03)
        (deleted, losers, twins, converted, contact_twins), rest = _carve(rng, n, [
            _share(n, 0.02, 2), _share(n, 0.02, 2), _share(n, 0.02, 2),
            min(_share(n, 0.08, 3), len(self.contact_live)), _share(n, 0.03, 2)])
        source = np.arange(n)
        winners = _pick_from(rng, rest, len(losers))
        source[losers] = winners
        source[twins] = _pick_from(rng, rest, len(twins))  # the same person entered twice
        codes.copy_from(source)
        company, owner = company[source], owner[source]
        names = _names(codes)
        email = _emails(rng, codes, names, _take(self.company_domain, company), bad_case=0.06)
        # Companies are typed by hand: often without the legal suffix the account carries.
        company_name = _where(rng.random(n) < 0.4, _take(self.company_base, company),
                              _take(self.company_name, company))
        return _LeadPeople(deleted, losers, winners, converted, contact_twins, owner, names.first, names.last,
                           names.full, email, company_name)

    def _lead_conversions(self, people: _LeadPeople) -> tuple[_LeadPeople, _LeadConversions]:
        """Converted leads became existing contacts; twins of contacts are the same people. Both
        take the contact's name, email and company; a converted lead its owner too."""
        rng, n = self.rng, self.size.leads
        converted, contact_twins = people.converted, people.contact_twins
        contact = np.full(n, -1)
        contact[converted] = rng.choice(self.contact_live, len(converted), replace=False)
        contact[contact_twins] = _pick_from(rng, self.contact_live, len(contact_twins))
        from_contact = contact >= 0
        converted_mask = np.zeros(n, dtype=bool)
        converted_mask[converted] = True
        contact_account = np.where(from_contact, self.contact_account[np.maximum(contact, 0)], -1)
        first, last, full, email = (
            _where(from_contact, _take(self.contact_columns[c], contact), v)
            for c, v in (("FirstName", people.first), ("LastName", people.last),
                         ("Name", people.full), ("Email", people.email)))
        company_name = _where(from_contact & (contact_account >= 0),
                              _take(self.company_name, contact_account), people.company_name)
        owner = np.where(converted_mask, self.contact_owner[np.maximum(contact, 0)], people.owner)
        converted_account = np.where(converted_mask, contact_account, -1)
        # A contact on no account converted into a new account: take any live one.
        orphan = converted_mask & (converted_account < 0)
        converted_account[orphan] = _pick_from(rng, self.account_live, int(orphan.sum()))
        people = replace(people, owner=owner, first=first, last=last, full=full, email=email,
                         company_name=company_name)
        return people, _LeadConversions(contact, converted_mask, converted_account,
                                        self._converted_deals(converted_mask, converted_account))

    def _converted_deals(self, converted_mask: np.ndarray, converted_account: np.ndarray) -> np.ndarray:
        """The open opportunity of its account a converted lead brought, for most of them; -1 for none."""
        rng, n = self.rng, self.size.leads
        deals = _group_rows(self.opportunity_account[self.opportunity_live],
                            len(self.account_created))
        deal = _pick_in_group(rng, deals, np.maximum(converted_account, 0))
        return np.where(converted_mask & (deal >= 0) & (rng.random(n) < 0.6),
                        self.opportunity_live[np.maximum(deal, 0)], -1)

    def _lead_stamps(self, people: _LeadPeople, conversions: _LeadConversions) -> tuple[_Stamps, np.ndarray]:
        """The leads' timestamps, and each converted lead's ConvertedDate (NaT for the others)."""
        rng, n, now = self.rng, self.size.leads, self.now
        converted = people.converted
        stamps = _stamps(rng, n, now, self.user_created[people.owner])
        _bulk_update(rng, stamps, now, _share(n, 0.06, 10))
        # Conversion happened when the contact was created; the lead is older than that.
        became = self.contact_created[conversions.contact[converted]]
        stamps.created[converted] = np.maximum(
            became - rng.integers(_DAY, 90 * _DAY, len(converted)), now - 4 * 365 * _DAY)
        stamps.created[converted] = np.minimum(stamps.created[converted], became)
        stamps.modified[converted] = became
        stamps.modstamp[converted] = became
        converted_date = np.where(conversions.converted_mask, _dates(stamps.modified), _NAT)
        _mark_deleted(rng, stamps, now, np.concatenate([people.deleted, people.losers]))
        return stamps, converted_date

    def _emit_leads(self, people: _LeadPeople, conversions: _LeadConversions, stamps: _Stamps,
                    converted_date: np.ndarray) -> None:
        rng, n = self.rng, self.size.leads
        converted_mask, converted_account = conversions.converted_mask, conversions.converted_account
        status = _pick_weighted(rng, np.array([35, 35, 0, 20, 10]), n)
        status[people.converted] = 2
        is_deleted = np.zeros(n, dtype=bool)
        is_deleted[people.deleted] = True
        is_deleted[people.losers] = True
        master = np.full(n, -1)
        master[people.losers] = people.winners
        place = _pick_weighted(rng, _PLACE_WEIGHTS, n)
        self.lead_owner = people.owner
        self.lead_live = np.flatnonzero(~is_deleted & ~converted_mask)
        self.ids["Lead"] = ids = self._ids("00Q", stamps.created)
        self._emit("Lead", stamps, is_deleted, {
            "FirstName": people.first,
            "LastName": people.last,
            "Name": people.full,
            "Email": people.email,
            "Company": people.company_name,
            "Title": _null_where(rng.random(n) < 0.25, _take(
                PERSON_TITLES, rng.integers(0, len(PERSON_TITLES), n))),
            "Phone": _phones(rng, n, missing=0.35),
            "Status": _take(pa.array(sf.LEAD_STATUSES), status),
            "LeadSource": _null_where(rng.random(n) < 0.15, _take(
                pa.array(sf.LEAD_SOURCES), rng.integers(0, len(sf.LEAD_SOURCES), n))),
            "Industry": _null_where(rng.random(n) < 0.4, _take(
                pa.array(sf.INDUSTRIES), rng.integers(0, len(sf.INDUSTRIES), n))),
            "City": _null_where(rng.random(n) < 0.3, _take(CITIES, place)),
            "Country": _null_where(rng.random(n) < 0.2, _take(COUNTRIES, place)),
            "OwnerId": _take(self.ids["User"].values, people.owner),
            "IsConverted": converted_mask,
            "ConvertedDate": converted_date,
            "ConvertedAccountId": _take(self.ids["Account"].values, converted_account),
            "ConvertedContactId": _take(self.ids["Contact"].values,
                                        np.where(converted_mask, conversions.contact, -1)),
            "ConvertedOpportunityId": _take(self.ids["Opportunity"].values, conversions.deal),
            "HasOptedOutOfEmail": rng.random(n) < 0.05,
            "MasterRecordId": _take(ids.values, master),
            **self._person_custom(n, place, score=0.5),
        })

    # Tasks ----------------------------------------------------------------------------------

    def _tasks(self) -> None:
        """Activities logged by reps: on contacts (related to the account or a deal) or leads."""
        rng, n, now = self.rng, self.size.tasks, self.now
        on_contact = rng.random(n) < 0.6
        contact = np.where(on_contact, _pick_from(rng, self.contact_live, n), -1)
        lead = np.where(on_contact, -1, _pick_from(rng, self.lead_live, n))
        account = np.where(on_contact, self.contact_account[np.maximum(contact, 0)], -1)
        deals = _group_rows(self.opportunity_account[self.opportunity_live],
                            len(self.account_created))
        deal = _pick_in_group(rng, deals, np.maximum(account, 0))
        what_kind = rng.random(n)
        use_deal = (account >= 0) & (deal >= 0) & (what_kind < 0.3)
        use_account = (account >= 0) & ~use_deal & (what_kind < 0.8)
        who = _where(on_contact, _take(self.ids["Contact"].values, contact),
                     _take(self.ids["Lead"].values, lead))
        # Salesforce refuses a WhatId on a task whose WhoId is a lead, so lead tasks have none.
        what = _where(use_deal, _take(self.ids["Opportunity"].values,
                                      self.opportunity_live[np.maximum(deal, 0)]),
                      _take(self.ids["Account"].values, np.where(use_account, account, -1)))
        owner = np.where(on_contact, self.contact_owner[np.maximum(contact, 0)],
                         self.lead_owner[np.maximum(lead, 0)])
        not_before = np.where(on_contact, self.contact_created[np.maximum(contact, 0)],
                              now - 365 * _DAY)
        stamps = _stamps(rng, n, now, not_before)
        due = _dates(stamps.created + rng.integers(0, 14 * _DAY, n))
        status = np.where(due < now - _DAY, _pick_weighted(rng, np.array([5, 5, 80, 5, 5]), n),
                          _pick_weighted(rng, np.array([60, 30, 5, 3, 2]), n))
        kind = _pick_weighted(rng, np.array([40, 35, 15, 10]), n)
        subtype = np.where(kind == 1, 1, np.where(kind == 0, 4, 0))  # Email, Call, Task
        (deleted,), _ = _carve(rng, n, [_share(n, 0.02, 1)])
        _mark_deleted(rng, stamps, now, deleted)
        is_deleted = np.zeros(n, dtype=bool)
        is_deleted[deleted] = True
        self.ids["Task"] = self._ids("00T", stamps.created)
        self._emit("Task", stamps, is_deleted, {
            "Subject": _take(TASK_SUBJECTS, rng.integers(0, len(TASK_SUBJECTS), n)),
            "Description": _null_where(rng.random(n) < 0.6, _take(
                TASK_DESCRIPTIONS, rng.integers(0, len(TASK_DESCRIPTIONS), n))),
            "WhoId": who,
            "WhatId": what,
            "OwnerId": _take(self.ids["User"].values, owner),
            "ActivityDate": np.where(rng.random(n) < 0.1, _NAT, due),
            "Status": _take(pa.array(sf.TASK_STATUSES), status),
            "Priority": _take(pa.array(sf.TASK_PRIORITIES), _pick_weighted(
                rng, np.array([15, 75, 10]), n)),
            "Type": _take(pa.array(sf.TASK_TYPES), kind),
            "TaskSubtype": _take(pa.array(sf.TASK_SUBTYPES), subtype),
            "App_External_Id__c": pa.nulls(n, pa.string()),
        })


def _column(spec: sf.FieldSpec, values: object, order: np.ndarray) -> object:
    """One column in id order with the dtype its field type calls for."""
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        if spec.sf_type in ("boolean", "double", "currency", "percent", "int", "datetime", "date"):
            raise TypeError(f"{spec.name} is a {spec.sf_type} field but was built as strings")
        return pd.arrays.ArrowStringArray(pc.take(values, pa.array(order)))
    array = np.asarray(values)[order]
    if spec.sf_type == "boolean":
        return array.astype(bool)
    if spec.sf_type in ("double", "currency", "percent", "int"):
        return array.astype(np.float64)
    if spec.sf_type == "datetime":
        return pd.DatetimeIndex(array.astype(np.int64).astype("datetime64[ms]").astype(
            "datetime64[ns]")).tz_localize("UTC")
    if spec.sf_type == "date":
        return array.astype(np.int64).astype("datetime64[ms]").astype("datetime64[ns]")
    raise TypeError(f"{spec.name} is a {spec.sf_type} field but was built as {array.dtype}")
