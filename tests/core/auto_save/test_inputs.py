"""How the rebuild reads its inputs: company domains, rule selections, stored lists, bad frames."""

import numpy as np
import pandas as pd
import pytest

from crm_pipelines.core.auto_save import rebuild_lists
from crm_pipelines.core.auto_save.domains import email_domains, website_domains

from tests.core.auto_save.small_org import (
    ACME, GLOBEX, INITECH, T0, T1, UMBRELLA, ids_of, inputs, lists_of, small_org,
)


def test_website_domains_drop_the_scheme_www_path_and_port():
    websites = pd.Series(["https://www.Example.co.uk/about", "example.com", "http://shop.example.com:8080/x",
                          "www2.acme.io/", "", None, "localhost"])
    assert website_domains(websites).tolist() == ["example.co.uk", "example.com", "shop.example.com", "acme.io",
                                                  pd.NA, pd.NA, pd.NA]


def test_email_domains_never_give_a_public_mail_domain():
    emails = pd.Series(["Jo.Smith@Example.com ", "sam@gmail.com", "kim@Hotmail.co.uk", "no-at-sign", None])
    assert email_domains(emails).tolist() == ["example.com", pd.NA, pd.NA, pd.NA, pd.NA]


def test_rule_selections_may_be_any_collection_or_comma_separated_text():
    chosen = pd.DataFrame({
        "user_id": ["u-ana", "u-ben", "u-cy", "u-mia"],
        "account_rules": ["A1, A3", ["A2"], np.array(["A1"]), None],
        "lead_rules": [(), frozenset(), "", None],
    })
    result = rebuild_lists(inputs(rule_selections=chosen), T0)
    assert ids_of(result)[("u-ana", "accounts")] == {GLOBEX, INITECH}
    assert ids_of(result)[("u-ben", "accounts")] == {GLOBEX}
    assert ids_of(result)[("u-cy", "accounts")] == {UMBRELLA}
    # NA means the user never chose: every rule is on. Empty means all rules off.
    assert ("u-mia", "leads_and_contacts") in ids_of(result)
    assert not any(key[1] == "leads_and_contacts" and key[0] != "u-mia" for key in ids_of(result))


def test_an_unknown_rule_in_a_selection_is_refused():
    chosen = pd.DataFrame({"user_id": ["u-ana"], "account_rules": [["A1", "A9"]], "lead_rules": [["P1"]]})
    with pytest.raises(ValueError, match=r"rule selections' account_rules names unknown rule\(s\) \['A9'\]"):
        rebuild_lists(inputs(rule_selections=chosen), T0)


def test_stored_lists_read_back_with_rules_as_lists_or_text_give_the_same_rebuild():
    first = rebuild_lists(inputs(), T0)
    as_lists = first.lists.assign(rules=[list(r) for r in first.lists["rules"]])
    as_text = first.lists.assign(rules=[",".join(r) for r in first.lists["rules"]])
    for stored in (as_lists, as_text):
        again = rebuild_lists(inputs(previous_lists=stored), T1)
        assert lists_of(again) == lists_of(first)
        assert again.changes.empty


def test_a_crm_table_missing_a_column_is_refused_with_its_name():
    org = small_org()
    with pytest.raises(ValueError, match=r"CRM table accounts lacks column\(s\) \['website'\]"):
        type(org)(**{**org.__dict__, "accounts": org.accounts.drop(columns="website")})


def test_a_naive_rebuild_time_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        rebuild_lists(inputs(), pd.Timestamp("2026-06-01T05:00:00"))


def test_nullable_flags_count_na_as_false():
    org = small_org()
    accounts = org.accounts.astype({"is_deleted": "boolean"})
    accounts.loc[accounts["id"] == ACME, "is_deleted"] = pd.NA
    result = rebuild_lists(inputs(type(org)(**{**org.__dict__, "accounts": accounts})), T0)
    assert ACME in ids_of(result)[("u-ana", "accounts")]
