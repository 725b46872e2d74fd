"""Every committed change to what callers hear republishes the AA system's call flow.

Services call `request_publish(system)` inside their transaction: it bumps the system's
`config_version` and, once the transaction commits, queues the Celery task that compiles and
publishes that version (`telephony.publish_aa_system`, queued by name: compiling RCML is the call
side's work, above the domain). Nothing is compiled in a request.

Publishing is derived state: a system whose `config_version` is ahead of its `published_version`
still has to be published. `reconcile()` (a periodic task, and at every worker start) queues each
such system, so a publish message lost with a killed worker or a broker hiccup is made good within
seconds; the publish task is idempotent by version, so a duplicate costs one row lock.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q

from autoattendant.choices import PublishStatus
from autoattendant.services import jobs

logger = logging.getLogger(__name__)

QUEUED_KEY = "publish:queued:{}"
RECONCILE_BATCH = 500  # systems queued by one run at most; the next run takes the rest


def request_publish(system) -> None:
    from autoattendant.models import AutoAttendantSystem

    if system is None or system.pk is None:
        return
    AutoAttendantSystem.objects.filter(pk=system.pk).update(
        config_version=F("config_version") + 1, publish_status=PublishStatus.PENDING
    )
    sid = system.sid
    transaction.on_commit(lambda: _queue(sid))


def request_publish_for_enterprise(enterprise_id: int) -> None:
    """An enterprise-wide change (an announcement re-rendered) touches each of its systems."""
    from autoattendant.models import AutoAttendantSystem

    for system in AutoAttendantSystem.objects.filter(enterprise_id=enterprise_id).only("pk", "sid"):
        request_publish(system)


def _queue(sid: str) -> None:
    """Queue the publish and say so for PUBLISH_QUEUED_GRACE_SECONDS: the reconcile leaves the
    system to that message meanwhile (a burst of changes is not doubled by the reconcile)."""
    jobs.queue(jobs.PUBLISH_AA_SYSTEM, sid)
    try:
        cache.set(QUEUED_KEY.format(sid), 1, settings.PUBLISH_QUEUED_GRACE_SECONDS)
    except Exception:  # only the marker is lost: the reconcile may queue the system once more
        logger.warning("publish of %s queued, but not marked as queued", sid, exc_info=True)


def unpublished_sids(limit: int = RECONCILE_BATCH) -> list[str]:
    """Systems whose configuration is ahead of what is published. A FAILED
    compile is left alone: the same version would fail the same way; the next change retries."""
    from autoattendant.models import AutoAttendantSystem

    ahead = Q(published_version__isnull=True) | Q(published_version__lt=F("config_version"))
    return list(
        AutoAttendantSystem.objects.filter(ahead)
        .exclude(publish_status=PublishStatus.FAILED)
        .order_by("pk")
        .values_list("sid", flat=True)[:limit]
    )


def reconcile() -> list[str]:
    """Queue the publish of every system not yet published at its configuration version, except
    those whose publish was queued within PUBLISH_QUEUED_GRACE_SECONDS; the SIDs queued."""
    queued = []
    for sid in unpublished_sids():
        # add() is SET NX: of two reconciles running at once, one queues the system.
        if cache.add(QUEUED_KEY.format(sid), 1, settings.PUBLISH_QUEUED_GRACE_SECONDS):
            jobs.queue(jobs.PUBLISH_AA_SYSTEM, sid)
            queued.append(sid)
    if queued:
        logger.info("publishing reconciled: %d system(s) queued again: %s", len(queued), ", ".join(queued[:20]))
    return queued
