"""crm_pipelines: a Dagster code location that keeps a multi-tenant sales app in sync with each tenant's CRM."""

__version__ = "0.1.0"
