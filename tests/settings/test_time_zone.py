"""A tenant's time zone, and the rebuild time stored before there was one (L4, O3)."""

from datetime import time

import pytest

from crm_pipelines.settings import SettingsError, TenantSettings, load_tenants_yaml, validated


def test_a_tenant_is_in_utc_until_its_admin_names_a_zone(acme):
    assert TenantSettings().time_zone == "UTC"
    assert acme.with_settings({"time_zone": "Pacific/Auckland"}).settings.time_zone == "Pacific/Auckland"
    assert acme.with_settings({"time_zone": " Asia/Kathmandu "}).settings.time_zone == "Asia/Kathmandu"


@pytest.mark.parametrize("given", ["Europe/Berln", "europe/berlin", "CEST", "", "../etc/passwd", "localtime"])
def test_a_name_zoneinfo_does_not_know_is_refused_by_name(acme, given):
    with pytest.raises(SettingsError) as refused:
        acme.with_settings({"time_zone": given})

    shown = given if given and " " not in given else repr(given)
    assert str(refused.value).startswith(f"time_zone = {shown} is not allowed (tenant 'acme'): "
                                         "an IANA time zone name, such as Europe/Berlin")
    assert acme.settings.time_zone == "UTC"


def test_a_zone_that_is_not_text_is_refused():
    with pytest.raises(SettingsError, match=r"^time_zone = 1 is not allowed: an IANA time zone name"):
        validated(TenantSettings, {"time_zone": 1})


def test_the_rebuild_time_stored_in_utc_reads_as_the_local_time_of_a_tenant_in_utc():
    # What every tenant stored before zones existed holds: no time_zone, a UTC rebuild time.
    stored = validated(TenantSettings, {"auto_save": {"enabled": True, "daily_rebuild_utc": "04:00:00"}})

    assert (stored.time_zone, stored.auto_save.daily_rebuild_at) == ("UTC", time(4, 0))
    assert "daily_rebuild_utc" not in stored.model_dump(mode="json")["auto_save"], "written back as the newer key"


def test_the_older_key_still_sets_the_rebuild_time_of_a_tenant_in_utc(acme):
    assert acme.with_settings({"auto_save.daily_rebuild_utc": "06:15"}).settings.auto_save.daily_rebuild_at == time(6, 15)
    tenants = load_tenants_yaml("""
- id: acme
  name: Acme
  connection:
    login_url: https://acme.my.salesforce.com
    credentials: {grant: client_credentials, client_id_env: ACME_ID, client_secret_env: ACME_SECRET}
  settings: {auto_save: {daily_rebuild_utc: "23:59Z"}}
""")
    assert tenants[0].settings.auto_save.daily_rebuild_at == time(23, 59)


def test_a_utc_rebuild_time_is_refused_for_a_tenant_in_another_zone(acme):
    # 05:00 UTC is 06:00 in Berlin in winter and 07:00 in summer: no one local time.
    berlin = acme.with_settings({"time_zone": "Europe/Berlin"})
    with pytest.raises(SettingsError) as refused:
        berlin.with_settings({"auto_save.daily_rebuild_utc": "05:00"})

    assert str(refused.value) == (
        "auto_save.daily_rebuild_utc = 05:00 is not allowed (tenant 'acme'): only a tenant in UTC keeps "
        "a UTC rebuild time; this one's time_zone is Europe/Berlin: set daily_rebuild_at, in that zone")


def test_the_older_and_the_newer_key_together_are_refused():
    with pytest.raises(SettingsError, match=r"^auto_save.daily_rebuild_utc = 05:00 is not allowed: not given with "
                                            r"daily_rebuild_at"):
        validated(TenantSettings, {"auto_save": {"daily_rebuild_utc": "05:00", "daily_rebuild_at": "06:00"}})
