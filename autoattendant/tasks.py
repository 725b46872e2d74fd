"""Celery tasks of the domain side. Tasks take IDs, re-read their rows and are idempotent."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_ready

from autoattendant.services import jobs

logger = logging.getLogger(__name__)


@shared_task(
    name=jobs.IMPORT_NUMBERS,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=50,
    time_limit=60,
)
def import_numbers(import_id: int) -> None:
    """Import a CSV's rows for a while, then queue the rest (each run stays far from the time limits)."""
    from celery.exceptions import SoftTimeLimitExceeded

    from autoattendant.services import number_imports

    try:
        more = number_imports.run(import_id)
    except SoftTimeLimitExceeded:
        more = True  # the rows done so far are committed; the next run goes on from there
    except Exception as exc:
        logger.exception("number import %s stopped", import_id)
        number_imports.mark_failed(import_id, f"Stopped by an unexpected error: {type(exc).__name__}")
        raise
    if more:
        number_imports.continue_later(import_id)


@shared_task(
    name=jobs.RENDER_ANNOUNCEMENT,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=150,
    time_limit=180,
    autoretry_for=(ConnectionError,),
    retry_backoff=True,
    max_retries=5,
)
def render_announcement(announcement_sid: str, revision: int) -> str:
    """Render or transcode the announcement at `revision` (autoattendant.services.announcement_rendering)."""
    from autoattendant.services import announcement_rendering

    return announcement_rendering.render(announcement_sid, revision)


# Periodic work (portal/settings.py CELERY_BEAT_SCHEDULE; `celery beat` sends it). Each run is
# short and idempotent; a run missed or doubled is harmless, and the beat entries expire so that a
# backlog sent while no worker ran is not worked through at once.
RECONCILE_PUBLISHING = "autoattendant.reconcile_publishing"
CLOSE_LOST_CALLS = "autoattendant.close_lost_calls"


@shared_task(name=RECONCILE_PUBLISHING, ignore_result=True, soft_time_limit=20, time_limit=30)
def reconcile_publishing() -> int:
    """Queue the publish of every system whose configuration is ahead of its published version."""
    from autoattendant.services import publishing

    return len(publishing.reconcile())


@shared_task(name=CLOSE_LOST_CALLS, ignore_result=True, soft_time_limit=20, time_limit=30)
def close_lost_calls() -> int:
    """Close the records of calls whose executor never reported their end (autoattendant.services.calls)."""
    from autoattendant.services import calls

    return calls.close_lost_calls()


@shared_task(name=jobs.STORE_QUEUED_CALLS, ignore_result=True, soft_time_limit=20, time_limit=30)
def store_queued_calls() -> int:
    """Write the call starts and ends queued by the call endpoints (autoattendant.services.calls)."""
    from autoattendant.services import calls

    return calls.store_queued_calls()


@worker_ready.connect
def reconcile_on_worker_start(sender=None, **kwargs) -> None:
    """A worker that starts (after a crash, a deploy) publishes what is pending without waiting for beat."""
    try:
        jobs.queue(RECONCILE_PUBLISHING)
    except Exception:
        logger.warning("could not queue the publishing reconcile at worker start", exc_info=True)
