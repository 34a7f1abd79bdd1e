"""Scheduling a campaign from the console in the background: the page answers at once, an
asyncio task owned by the console application runs :func:`bot.broadcasts.planner.schedule`
(the planner ``suara broadcast schedule`` runs), and the campaign page shows its progress
("planned N of M contacts") and, if it failed, the error.

Nothing is lost when planning fails: the planner commits each batch of rows with ``ON CONFLICT
DO NOTHING``, so planning the campaign again picks up where it stopped and never doubles a
reminder. Each outcome is persisted in the audit log (``campaign_scheduled`` with the counts,
``campaign_schedule_failed`` with the error); the live progress is this process's (a second
worker shows the rows as they are written, not the counter). Cancelling the campaign from the
console first stops this process's run for it, so no reminder is planned after the cancel.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from flows.campaigns import Campaign as CampaignPlan
from flows.campaigns import Settings as PlanSettings

from bot.broadcasts.planner import ScheduleResult, schedule
from bot.console.accounts import StaffUser
from bot.console.audit import record

log = logging.getLogger("suara.console.planning")

PLANNING, DONE, FAILED = "planning", "done", "failed"


@dataclass
class PlanJob:
    """One run of the planner for a campaign: its state, contacts done of all, and the outcome."""

    campaign_id: str
    state: str = PLANNING
    done: int = 0
    total: int = 0
    error: str = ""
    result: ScheduleResult = field(default_factory=ScheduleResult)

    def as_json(self) -> dict[str, Any]:
        return {"state": self.state, "done": self.done, "total": self.total, "error": self.error,
                "written": sum(self.result.written.values()), "already": self.result.already}


class Planning:
    """The campaigns being planned by this process, at most one run per campaign at a time."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._jobs: dict[str, PlanJob] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def job(self, campaign_id: str) -> PlanJob | None:
        """The latest run for ``campaign_id`` in this process, running or finished."""
        return self._jobs.get(campaign_id)

    def start(self, campaign: CampaignPlan, version_id: int, user: StaffUser, now: datetime,
              rules: PlanSettings) -> PlanJob | None:
        """Plan ``campaign`` in the background; ``None`` when a run for it is still going."""
        running = self._jobs.get(campaign.id)
        if running is not None and running.state == PLANNING:
            return None
        job = self._jobs[campaign.id] = PlanJob(campaign.id)
        task = asyncio.create_task(self._run(job, campaign, version_id, user, now, rules),
                                   name=f"plan:{campaign.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    async def _run(self, job: PlanJob, campaign: CampaignPlan, version_id: int, user: StaffUser,
                   now: datetime, rules: PlanSettings) -> None:
        def progress(done: int, total: int) -> None:
            job.done, job.total = done, total

        try:
            async with self._sessions() as db:
                job.result = await schedule(db, campaign, version_id, now, rules, progress=progress)
                written = {status: str(count) for status, count in sorted(job.result.written.items())}
                record(db, user, "campaign_scheduled", f"campaign:{campaign.id}", now, version=campaign.version,
                       contacts=job.result.contacts, written=written, already=job.result.already)
                await db.commit()
        except asyncio.CancelledError:
            job.state, job.error = FAILED, "dihentikan / stopped"
            raise
        except Exception as exc:  # noqa: BLE001 - any failure is shown to staff and logged, never lost
            log.exception("campaign_planning_failed", extra={"campaign": campaign.id})
            job.state, job.error = FAILED, (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
            await self._record_failure(job, user, now)
        else:
            job.done, job.total, job.state = job.result.contacts, max(job.total, job.result.contacts), DONE

    async def _record_failure(self, job: PlanJob, user: StaffUser, now: datetime) -> None:
        try:
            async with self._sessions() as db:
                record(db, user, "campaign_schedule_failed", f"campaign:{job.campaign_id}", now, error=job.error,
                       contacts=job.done)
                await db.commit()
        except Exception:  # noqa: BLE001 - the database may be what failed; the page still shows it
            log.exception("campaign_planning_failure_not_recorded", extra={"campaign": job.campaign_id})

    async def stop(self, campaign_id: str) -> None:
        """End this process's run for ``campaign_id``, if one is going, and wait until it has: a
        cancel then marks every row the run committed, and the run writes none after it."""
        running = [task for task in self._tasks if task.get_name() == f"plan:{campaign_id}"]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)

    async def close(self) -> None:
        """Stop the runs still going (at shutdown); their committed batches stay."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
