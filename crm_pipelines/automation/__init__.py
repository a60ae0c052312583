"""What runs when: one module per job, holding that job, its schedule and its sensors.

- `crm_sync`: the CRM → app sync job; `tenant_registry` (partitions, catch-up on connect) and
  `crm_sync_due` (each tenant's sync frequency).
- `outbound_push`: the app → CRM push job; `outbound_push_schedule` (each tenant's interval) and
  `push_triggers` (requests, to-dos, interest crossings).
- `auto_save_rebuild`: the list rebuild job; `daily_list_rebuild` (each tenant's local time).
- `backoff`: `api_limit_backoff`, which resumes deferred syncs and pushes when the budget reopens.
- `freshness`: the `tenant_freshness` sensor and the job that records each tenant's freshness check.
- `launch_slots`: what they share: slots, run requests with the tenant's tags, runs already launched.

The job names are the asset layer's (`assets/extract.CRM_SYNC_JOB`, `assets/outbound_delivery.OUTBOUND_PUSH_JOB`):
the assets record which job a deferral belongs to, and assets never import automation.
"""
