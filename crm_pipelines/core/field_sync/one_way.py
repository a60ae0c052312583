"""One way of the prospect sync: sync_prospects' own parameters, one of its results.

The two ways are computed together (prospect_sync), so a one-way view takes exactly what the
sync takes; declaring those parameters again for each view would copy them."""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec

import pandas as pd

from crm_pipelines.core.field_sync.prospect_sync import ProspectSync, sync_prospects

_P = ParamSpec("_P")


def one_way_of(
    way: Callable[[ProspectSync], pd.DataFrame], name: str, doc: str, sync: Callable[_P, ProspectSync] = sync_prospects
) -> Callable[_P, pd.DataFrame]:
    """A function taking `sync`'s arguments and returning `way` of its result, named `name`."""

    def one_way(*args: _P.args, **kwargs: _P.kwargs) -> pd.DataFrame:
        return way(sync(*args, **kwargs))

    one_way.__name__ = one_way.__qualname__ = name
    one_way.__doc__ = doc
    return one_way
