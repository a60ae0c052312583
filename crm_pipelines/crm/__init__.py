"""The CRM client: authentication, paging, the API budget gate, retries and errors. HTTP lives only here."""
