"""Insightly (API v3.1) behind the CRM port."""
