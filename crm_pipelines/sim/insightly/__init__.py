"""Insightly's API v3.1, served by the simulator for the orgs declared `name:insightly`.

An Insightly org is the same generated world as a Salesforce org (one `OrgState`: tables, clock,
daily allowance, faults, control API, write log) seen through a translation layer; writes go
through the org's own `record_writes`, so stamps, validation rules and the write log work as for
Salesforce clients.

What Insightly's public reference (api.insightly.com/v3.1/Help and the connectors written
against it) says, and what the simulator does:

- Base URL `https://api.{pod}.insightly.com/v3.1/`; HTTP Basic with the user's API key as user
  name and an empty password. Here the base is the simulator's `/v3.1/` and the key is the org's
  name; a wrong or missing key answers 401.
- Lists: `GET /{Object}?skip=&top=` with `top` at most 500 (100 when left out), `brief=true` for
  the top-level fields only (no CUSTOMFIELDS, LINKS), `count_total=true` for the match count in
  the `X-Total-Count` response header. `GET /{Object}/Search` takes the same plus
  `updated_after_utc` (ISO 8601, e.g. `2026-04-09T16:58:14Z`) and one `field_name`/`field_value`
  pair. Records come in id order.
- One record per call: `GET /{Object}/{id}`, `POST /{Object}` (answers the new record),
  `PUT /{Object}` with the id in the body (answers the record), `DELETE /{Object}/{id}` (202).
  No batch, and no endpoint lists deleted records: a deleted record is simply gone.
- Field names are UPPER_SNAKE; dates are `YYYY-MM-DD HH:MM:SS` in UTC; ids are integers. Custom
  fields travel as `CUSTOMFIELDS: [{FIELD_NAME, FIELD_VALUE}]`, their names ending in `__c`, with
  definitions under `/CustomFields/{Object}`. Leads carry CONVERTED and the CONVERTED_CONTACT_ID,
  CONVERTED_ORGANISATION_ID and CONVERTED_OPPORTUNITY_ID of their conversion. Opportunities have
  OPPORTUNITY_STATE (OPEN, WON, LOST, ABANDONED, SUSPENDED) beside their PIPELINE_ID and STAGE_ID.
- Limits: a daily allowance per plan (Free 1,000, Plus 40,000, Professional 60,000, Enterprise
  100,000 requests a day) and 10 requests a second; past either, 429. Every answer reports
  `X-RateLimit-Limit` and `X-RateLimit-Remaining`. The daily allowance is the org's `ApiUsage`
  (the same rolling 24 hours as its Salesforce face) and the rate is `Simulator.second_rate`.

Where the simulator simplifies:

- Integer ids are the record numbers inside the org's 18-character ids with their object's code
  (`integer_ids`), so no two objects share an id, as Insightly numbers records across the instance.
- One pipeline (the open Salesforce stages); a won or lost opportunity has no STAGE_ID, and
  ABANDONED and SUSPENDED close it as lost (Salesforce has no such stages). Lead statuses and
  sources are the Salesforce picklists, numbered from 1.
- LINKS are read-only but for tasks: a record's organisation, contact roles as contact-opportunity
  links with their ROLE, and a task's contact or lead and organisation or opportunity, which a
  task's create or update may set by LINKS (`{LINK_OBJECT_NAME, LINK_OBJECT_ID}`, as v3.1's Task
  model carries them). Tasks have TASK_ID, TITLE, DETAILS, DUE_DATE, STATUS (NOT STARTED,
  IN PROGRESS, COMPLETED, WAITING, DEFERRED), PRIORITY (1 to 3), COMPLETED and their custom fields. Tags, notes, events,
  projects and the other v3.1 objects are not served. Campaign has no counterpart in the CRM API
  and is not served.
- DATE_UPDATED_UTC is the org's SystemModstamp, so every change, a system one too, moves it;
  `updated_after_utc` keeps records stamped strictly after the given instant, to the millisecond.
- Errors answer `{"Message": ...}`; a create or update the org refuses is 400 with the org's reason.
"""
