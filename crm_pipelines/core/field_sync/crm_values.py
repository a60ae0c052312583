"""A mapped CRM field's values, wherever the extracted table keeps them.

Standard fields are columns named in snake_case (`MailingCity` → `mailing_city`); mapped custom
fields (E6) sit in each row's `mapped_fields` dict under their Salesforce name, spelled as the org
spells it. A field that no row carries was not extracted at all (the org lacks it, E6): it has
no values rather than empty ones, so it is reported and never read as "the CRM emptied it".
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import pyarrow as pa

from crm_pipelines.core.crm_objects import column_name


def crm_field_columns(frame: pd.DataFrame, crm_fields: Iterable[str]) -> dict[str, pd.Series]:
    """The values of each field that `frame` carries (RangeIndex, aligned with `frame`); fields it
    does not carry are left out of the result."""
    found: dict[str, pd.Series] = {}
    custom: list[str] = []
    for name in dict.fromkeys(crm_fields):
        for column in (column_name(name), name):
            if column in frame.columns and column != "mapped_fields":
                found[name] = frame[column].reset_index(drop=True)
                break
        else:
            custom.append(name)
    if custom and "mapped_fields" in frame.columns:
        found.update(_from_mapped_fields(frame["mapped_fields"], custom))
    return found


def _from_mapped_fields(mapped: pd.Series, names: list[str]) -> dict[str, pd.Series]:
    """Unpack the dicts once, in Arrow (a C loop over the rows, not a Python one)."""
    rows = mapped.to_list()
    try:
        structs = pa.array(rows)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        # Values of one field with clashing types across rows: let pandas hold them as objects.
        table = pd.DataFrame.from_records([row or {} for row in rows])
        columns = {str(c): table[c] for c in table.columns}
    else:
        if not pa.types.is_struct(structs.type):
            return {}
        # flatten(), unlike field(), blanks the values under rows whose dict is None.
        columns = {
            structs.type.field(i).name: pd.Series(child.to_pandas(types_mapper=pd.ArrowDtype))
            for i, child in enumerate(structs.flatten())
        }
    by_lower = {name.lower(): series for name, series in columns.items()}
    return {name: by_lower[name.lower()].reset_index(drop=True) for name in names if name.lower() in by_lower}
