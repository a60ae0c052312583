"""The exchanges with the CRM: one object's extraction (with its deletions and field history), the
delivery of pushes, prospect creation in chunks. Each drives the CRM port and the store and calls
core/ for every decision; each knows nothing of Dagster (the run id and batch names come in as
text, the run's log as a callable)."""
