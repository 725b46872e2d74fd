"""Celery tasks of the domain side. Tasks take IDs, re-read their rows and are idempotent."""

from __future__ import annotations

import logging

from celery import shared_task

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
