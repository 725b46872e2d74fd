"""Every committed change to what callers hear republishes the AA system's call flow.

Services call `request_publish(system)` inside their transaction: it bumps the system's
`config_version` and, once the transaction commits, queues the Celery task that compiles and
publishes that version (`telephony.publish_aa_system`, queued by name: compiling RCML is the call
side's work, above the domain). Nothing is compiled in a request.
"""

from __future__ import annotations

from django.db.models import F

from autoattendant.choices import PublishStatus
from autoattendant.services import jobs


def request_publish(system) -> None:
    from autoattendant.models import AutoAttendantSystem

    if system is None or system.pk is None:
        return
    AutoAttendantSystem.objects.filter(pk=system.pk).update(
        config_version=F("config_version") + 1, publish_status=PublishStatus.PENDING
    )
    jobs.queue_on_commit(jobs.PUBLISH_AA_SYSTEM, system.sid)


def request_publish_for_enterprise(enterprise_id: int) -> None:
    """An enterprise-wide change (an announcement re-rendered) touches each of its systems."""
    from autoattendant.models import AutoAttendantSystem

    for system in AutoAttendantSystem.objects.filter(enterprise_id=enterprise_id).only("pk", "sid"):
        request_publish(system)
