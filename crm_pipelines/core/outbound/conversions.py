"""X5 in the pushes: a converted Lead is frozen in Salesforce and no longer the person's record,
so nothing is ever sent to it. A prospect whose stored CRM id is still its converted Lead (the
sync that moves the id to the Contact has not run, or S4 keeps the app from taking it) is pushed
to the Contact; while the Contact is not known, what was meant for the Lead waits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_pipelines.core.matching.frames import flag

CONTACT = "Contact"


def converted_leads(crm_leads: pd.DataFrame) -> pd.Series:
    """Converted Lead id → its ConvertedContactId (NA when the CRM gave none), for the extracted
    Leads that are converted and not deleted (crm_leads: id, is_converted, converted_contact_id)."""
    converted = flag(crm_leads, "is_converted") & ~flag(crm_leads, "is_deleted")
    rows = crm_leads.loc[converted]
    contacts = (rows["converted_contact_id"] if "converted_contact_id" in rows.columns
                else pd.Series(pd.NA, index=rows.index))
    out = pd.Series(contacts.astype("string").to_numpy(), index=rows["id"].astype("string").to_numpy(), dtype="string")
    return out[~out.index.duplicated()]


def live_targets(crm_ids: pd.Series, crm_types: pd.Series, converted: pd.Series | None
                 ) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """Each (CRM id, type) with converted Leads replaced by their Contacts, and a mask of the
    records that are converted Leads whose Contact is not known (they have no target). RangeIndex."""
    ids = crm_ids.astype("string").reset_index(drop=True)
    types = crm_types.astype("string").reset_index(drop=True)
    if converted is None or converted.empty:
        return ids, types, np.zeros(len(ids), dtype=bool)
    is_converted = ids.isin(converted.index).to_numpy(dtype=bool)
    contact = ids.map(converted).astype("string")
    moved = is_converted & contact.notna().to_numpy(dtype=bool)
    return (ids.where(~moved, contact), types.where(~moved, CONTACT),
            is_converted & ~moved)


def without_converted_leads(items: pd.DataFrame, converted: pd.Series | None) -> pd.DataFrame:
    """`items` with every update of a converted Lead made `skip`, saying where the person is now;
    the next sync plans the change again for the Contact."""
    if items.empty or converted is None or converted.empty:
        return items
    hit = ((items["operation"] == "update") & items["crm_id"].isin(converted.index)).fillna(False).to_numpy(dtype=bool)
    if not hit.any():
        return items
    items = items.copy()
    contact = items.loc[hit, "crm_id"].map(converted).astype("string").fillna("not extracted yet")
    items.loc[hit, "note"] = ("Lead " + items.loc[hit, "crm_id"] + " was converted to Contact " + contact
                              + " (X5): nothing is sent to a converted Lead")
    items.loc[hit, "operation"] = "skip"
    return items
