"""A Salesforce-compatible CRM simulator: REST v60.0 on loopback, with generated org data."""
