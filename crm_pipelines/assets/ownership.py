"""Who answers for the assets: shown as each asset's owner in the Dagster UI."""

OWNERS = ["team:data-engineering"]
