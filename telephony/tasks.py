"""Celery tasks of the telephony side. Tasks take SIDs, re-read their rows and are idempotent."""

from __future__ import annotations

import logging

from celery import shared_task

from autoattendant.services import jobs

logger = logging.getLogger(__name__)


@shared_task(
    name=jobs.PUBLISH_AA_SYSTEM,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=50,
    time_limit=60,
    autoretry_for=(ConnectionError,),
    retry_backoff=True,
    max_retries=5,
)
def publish_aa_system(aa_system_sid: str) -> int | None:
    """Compile the AA system's current configuration and publish it as its newest version."""
    from telephony.rcml.publish import publish

    return publish(aa_system_sid)


CLOSE_CALLS_OF_STOPPED_EXECUTORS = "telephony.close_calls_of_stopped_executors"


@shared_task(name=CLOSE_CALLS_OF_STOPPED_EXECUTORS, ignore_result=True, soft_time_limit=20, time_limit=30)
def close_calls_of_stopped_executors() -> int:
    """Close the records of calls whose executor stopped or restarted (telephony.live_calls)."""
    from telephony import live_calls

    return live_calls.close_calls_of_stopped_executors()
