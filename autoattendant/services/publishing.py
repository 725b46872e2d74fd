"""Every committed change to what callers hear republishes the AA system's call flow.

Services call `request_publish(system)` inside their transaction: it bumps the system's
`config_version` and, once the transaction commits, queues the Celery task that compiles and
publishes that version (telephony.tasks.publish_aa_system). Nothing is compiled in a request.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from autoattendant.choices import PublishStatus


def request_publish(system) -> None:
    from autoattendant.models import AutoAttendantSystem

    if system is None or system.pk is None:
        return
    AutoAttendantSystem.objects.filter(pk=system.pk).update(
        config_version=F("config_version") + 1, publish_status=PublishStatus.PENDING
    )
    sid = system.sid
    transaction.on_commit(lambda: _enqueue(sid))


def request_publish_for_enterprise(enterprise_id: int) -> None:
    """An enterprise-wide change (an announcement re-rendered) touches each of its systems."""
    from autoattendant.models import AutoAttendantSystem

    for system in AutoAttendantSystem.objects.filter(enterprise_id=enterprise_id).only("pk", "sid"):
        request_publish(system)


def _enqueue(aa_system_sid: str) -> None:
    from telephony.tasks import publish_aa_system

    publish_aa_system.delay(aa_system_sid)
