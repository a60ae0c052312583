"""What every step of the demo shares: the data, the Dagster instance, the tenants and their
stories, the pipeline clock's offset, and how a job runs and a command is hinted."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dagster import DagsterInstance, Definitions

from crm_pipelines.cli.output import Progress
from crm_pipelines.clock import CLOCK_OFFSET_TAG
from crm_pipelines.crm.resource import CrmClientResource
from crm_pipelines.definitions import build_definitions
from crm_pipelines.partitions import TENANT_TAG
from crm_pipelines.settings import Tenant
from crm_pipelines.store.database import Database

# The runs' step-by-step logs stay in the instance (and the UI); the terminal gets the story.
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


@dataclass
class TenantStory:
    tenant: str
    runs: int = 0
    resumed: int = 0


@dataclass
class DemoContext:
    home: Path
    db: Database
    db_url: str
    sim: Any
    instance: DagsterInstance
    bar: Progress
    tenants: list[Tenant] = field(default_factory=list)
    stories: dict[str, TenantStory] = field(default_factory=dict)
    # How far the pipeline clock was moved to reopen API budget windows (the demo cannot wait a day).
    offset: float = 0.0
    _definitions: dict[float, Definitions] = field(default_factory=dict)
    # One CRM resource for every clock: each tenant logs in once for the whole demo.
    _crm: CrmClientResource = field(default_factory=CrmClientResource)

    def echo(self, text: str = "") -> None:
        self.bar.echo(text)

    def definitions(self, offset: float = 0.0) -> Definitions:
        if offset not in self._definitions:
            self._definitions[offset] = build_definitions(database_url=self.db_url, clock_offset_seconds=offset,
                                                              crm=self._crm)
        return self._definitions[offset]

    def run(self, job_name: str, tenant_id: str, *, offset: float = 0.0, assets: list[Any] | None = None,
            tags: dict[str, str] | None = None) -> bool:
        """Run a job for a tenant in this process, as the daemon would launch it; a run on a moved
        clock says how far, so the connector log can be read in real time."""
        job = self.definitions(offset).resolve_job_def(job_name)
        if assets:
            job = job.get_subset(asset_selection=set(assets))
        run_tags = {TENANT_TAG: tenant_id, **(tags or {})}
        if offset:
            run_tags[CLOCK_OFFSET_TAG] = str(offset)
        result = job.execute_in_process(instance=self.instance, partition_key=tenant_id, tags=run_tags,
                                        run_config=QUIET, raise_on_error=False)
        self.stories[tenant_id].runs += 1
        return result.success

    def hint(self, command: str) -> str:
        """A command on the demo's data, quoted for the reader to copy as it is."""
        try:
            shown = str(self.home.relative_to(Path.cwd()))
        except ValueError:
            shown = str(self.home)
        return f"`crm-pipelines --data-dir {shlex.quote(shown)} {command}`"
