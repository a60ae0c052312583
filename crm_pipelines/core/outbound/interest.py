"""P4c: the interest threshold as a trigger. A prospect triggers its contact push when its lead
score crosses the tenant's threshold (below, or never seen, → at or above): once per crossing. A
score that stays above triggers nothing more; dropping below and crossing again is a new crossing."""

import pandas as pd


def threshold_crossings(changes: pd.DataFrame) -> pd.DataFrame:
    """`changes` (tenant_id, prospect_id, above, was_above: the prospects whose side of the threshold
    changed since last seen) with `crossed`: True where the score went from below to at or above."""
    above, was_above = changes["above"].astype(bool), changes["was_above"].astype(bool)
    return changes.assign(crossed=above & ~was_above)
