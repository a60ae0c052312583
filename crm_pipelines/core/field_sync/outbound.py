"""App → CRM: the Lead and Contact updates and new Leads the CRM should receive (F3, F4.5, F7)."""

from __future__ import annotations

from crm_pipelines.core.field_sync.one_way import one_way_of

outbound_changes = one_way_of(
    lambda sync: sync.outbound, "outbound_changes",
    """The app_to_crm change rows (changes.CHANGE_COLUMNS) for Leads and Contacts: `crm_id` is the
    record to update, or NA for a Lead to create (reason new_lead, grouped by app_id);
    `crm_field` and `new_value` (text, read with `field_type`) are what to write; `old_value` is
    the CRM's value before. Takes sync_prospects' arguments, which computes both ways at once.""")
