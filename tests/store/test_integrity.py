"""The counts behind the asset checks: each finds the offending rows of one tenant and no others."""

from datetime import UTC, datetime

from crm_pipelines.store import tables
from crm_pipelines.store.deferrals import DeferralStore
from crm_pipelines.store.integrity import (
    dangling_references,
    duplicated_ids,
    ids_held_by_other_tenants,
    largest_list,
    pending_pushes,
)

AT = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


def _insert(db, table, rows):
    with db.transaction() as conn:
        conn.execute(table.insert(), rows)


def _users(db, tenant_id, *ids):
    _insert(db, tables.crm_tables["User"], [{"tenant_id": tenant_id, "id": i, "extracted_at": AT} for i in ids])


def _matched_user(tenant_id, user_id, crm_user_id):
    return {"tenant_id": tenant_id, "user_id": user_id, "crm_user_id": crm_user_id, "matched_by": "email"}


def test_an_id_of_another_tenants_rows_is_counted_for_both_tenants_and_a_third_is_clean(db):
    _users(db, "acme", "005A", "005B")
    _users(db, "globex", "005B", "005C")
    _users(db, "initech", "005D")
    assert ids_held_by_other_tenants(db, "crm_users", "acme") == 1
    assert ids_held_by_other_tenants(db, "crm_users", "globex") == 1
    assert ids_held_by_other_tenants(db, "crm_users", "initech") == 0
    assert duplicated_ids(db, "crm_users", "acme") == 0


def test_a_shared_crm_id_in_a_linked_table_is_found_by_its_column(db):
    _insert(db, tables.matched_users, [_matched_user("acme", "u-001", "005A"), _matched_user("acme", "u-002", "005B"),
                                       _matched_user("globex", "u-001", "005A")])
    assert ids_held_by_other_tenants(db, "matched_users", "acme", "crm_user_id") == 1
    assert ids_held_by_other_tenants(db, "matched_users", "globex", "crm_user_id") == 1


def test_a_reference_resolves_only_to_a_record_of_the_same_tenant(db):
    _users(db, "acme", "005A")
    _users(db, "globex", "005B")
    _insert(db, tables.matched_users, [_matched_user("acme", "u-001", "005A"), _matched_user("acme", "u-002", "005B"),
                                       _matched_user("acme", "u-003", "005Z")])
    # 005B exists, but as globex's: for acme it does not resolve.
    assert dangling_references(db, "matched_users", "acme", "crm_user_id", ["crm_users"]) == 2
    _users(db, "acme", "005B", "005Z")
    assert dangling_references(db, "matched_users", "acme", "crm_user_id", ["crm_users"]) == 0


def test_the_largest_list_is_per_user_and_per_tenant(db):
    def item(tenant_id, user_id, crm_id):
        return {"tenant_id": tenant_id, "user_id": user_id, "crm_id": crm_id, "list": "accounts",
                "record_type": "Account", "rules": "A1", "source": "auto", "added_at": AT, "is_deleted": False}

    assert largest_list(db, "auto_save_account_lists", "acme") == 0
    _insert(db, tables.auto_save_account_lists,
            [item("acme", "u-001", f"001{i}") for i in range(3)] + [item("acme", "u-002", "0019")]
            + [item("globex", "u-001", f"001{i}") for i in range(5)])
    assert largest_list(db, "auto_save_account_lists", "acme") == 3
    assert largest_list(db, "auto_save_account_lists", "globex") == 5


def test_pending_pushes_and_whether_the_push_is_deferred(db):
    def push(tenant_id, external_id, state):
        return {"tenant_id": tenant_id, "sobject": "Task", "external_id": external_id, "kind": "activity",
                "app_object": "event", "app_id": external_id, "state": state, "attempts": 1}

    _insert(db, tables.crm_push_results, [push("acme", "ev-1", "pending"), push("acme", "ev-2", "sent"),
                                          push("globex", "ev-1", "pending")])
    assert pending_pushes(db, "acme") == (1, False)
    DeferralStore(db).record("acme", "outbound_push", ["Task"], "budget", AT, AT, "run-1")
    assert pending_pushes(db, "acme") == (1, True)
    assert pending_pushes(db, "initech") == (0, False)
