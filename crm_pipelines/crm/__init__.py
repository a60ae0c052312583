"""The tenant's CRM: the port the pipeline asks (port.py), its adapters (salesforce/), what can go wrong (errors.py). HTTP lives only here."""
