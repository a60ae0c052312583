"""The Salesforce adapter of the CRM port: REST client, wire formats, SOQL, composite writes."""
