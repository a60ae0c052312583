"""X1: app users ↔ CRM users by normalized email, with manual overrides (X3)."""

import pandas as pd

from crm_pipelines.core.matching import match_users
from tests.core.matching.crm_fixtures import at, overrides, rows_of


def crm_users(*rows):
    return pd.DataFrame({
        "id": [r[0] for r in rows], "email": [r[1] for r in rows], "is_active": [r[2] for r in rows],
        "last_modified_date": [at(r[3]) for r in rows],
    })


APP_USERS = pd.DataFrame({
    "user_id": ["u1", "u2", "u3", "u4"],
    "email": [" Ann@Acme.com", "bob@acme.com", None, "nobody@acme.com"],
})
CRM_USERS = crm_users(
    ("005000000000001AAA", "ann@acme.com", True, "2024-01-01"),
    ("005000000000002AAA", "BOB@acme.com", False, "2024-03-01"),  # inactive, though newer
    ("005000000000003AAA", "bob@acme.com", True, "2024-01-01"),
    ("005000000000004AAA", "carl@acme.com", True, "2024-01-01"),
)


def test_users_match_by_normalized_email():
    matched = match_users(APP_USERS, CRM_USERS).matched
    assert rows_of(matched, "user_id", "crm_user_id", "matched_by") == [
        ("u1", "005000000000001AAA", "email"),
        ("u2", "005000000000003AAA", "email"),
    ]


def test_unmatched_users_are_reported_with_the_reason():
    assert rows_of(match_users(APP_USERS, CRM_USERS).unmatched, "user_id", "reason") == [
        ("u3", "no_email"), ("u4", "no_crm_user_with_email")]


def test_an_email_shared_by_several_crm_users_goes_to_the_active_one_and_is_reported():
    ambiguous = match_users(APP_USERS, CRM_USERS).ambiguous
    assert rows_of(ambiguous, "email", "crm_user_id", "rank", "crm_users", "app_users") == [
        ("bob@acme.com", "005000000000003AAA", 1, 2, 1),
        ("bob@acme.com", "005000000000002AAA", 2, 2, 1),
    ]


def test_among_active_users_sharing_an_email_the_most_recently_modified_wins_then_the_smallest_id():
    users = crm_users(
        ("005000000000009AAA", "x@acme.com", True, "2024-01-01"),
        ("005000000000008AAA", "x@acme.com", True, "2024-02-01"),
        ("005000000000007AAA", "x@acme.com", True, "2024-02-01"),
    )
    matched = match_users(pd.DataFrame({"user_id": ["u"], "email": ["x@acme.com"]}), users).matched
    assert rows_of(matched, "crm_user_id") == [("005000000000007AAA",)]


def test_a_manual_override_beats_the_email_and_a_bad_one_is_reported():
    result = match_users(APP_USERS, CRM_USERS, overrides(
        ("user", "u2", "005000000000004AAA", "2024-05-01"),
        ("user", "u4", "005000000000099AAA", "2024-05-01"),   # no such CRM user
        ("prospect", "u1", "005000000000004AAA", "2024-05-01"),  # another entity: ignored
    ))
    assert rows_of(result.matched, "user_id", "crm_user_id", "matched_by") == [
        ("u1", "005000000000001AAA", "email"),
        ("u2", "005000000000004AAA", "manual"),
    ]
    assert rows_of(result.stale_overrides, "app_id", "reason") == [("u4", "crm_record_not_found_or_deleted")]
