"""Compile an AA system and publish the result as its newest version (run by a Celery task).

Idempotent: the version published is the system's `config_version`; publishing a version that is
already published does nothing, so a task redelivered after its worker died is harmless. A failed
compile leaves the published version in place and records why on the system.
"""

from __future__ import annotations

import logging

from django.db import transaction

from autoattendant.choices import PublishStatus
from telephony.rcml import cache
from telephony.rcml.compiler import CompileError, compile_plan
from telephony.rcml.snapshot import snapshot_system

logger = logging.getLogger(__name__)


def publish(aa_system_sid: str) -> int | None:
    """Returns the published version, or None when nothing was published."""
    from autoattendant.models import AutoAttendantSystem
    from telephony.models import PublishedRcml

    with transaction.atomic():
        # Lock first, then read in a statement of its own: a SELECT … FOR UPDATE that waited for a
        # concurrent change re-reads the locked row but not the rows it joins (PostgreSQL's
        # EvalPlanQual), so a default menu created by that change would join as missing.
        pk = (
            AutoAttendantSystem.objects.select_for_update()
            .filter(sid=aa_system_sid)
            .values_list("pk", flat=True)
            .first()
        )
        if pk is None:
            return None  # deleted since the task was queued
        system = AutoAttendantSystem.objects.select_related("enterprise", "default_menu", "operator_extension").get(
            pk=pk
        )
        version = system.config_version
        if system.published_version == version and system.publish_status == PublishStatus.PUBLISHED:
            return version
        numbers = list(system.phone_numbers.filter(is_extension=False).values_list("number", flat=True))
        try:
            plan = compile_plan(snapshot_system(system), version)
        except CompileError as exc:
            logger.info("AA system %s version %s not published: %s", aa_system_sid, version, exc)
            system.publish_status = PublishStatus.FAILED
            system.publish_error = str(exc)
            system.save(update_fields=["publish_status", "publish_error"])
            # The published version still answers, but its numbers' entries are read again: the
            # change that failed to compile may have been the system's status.
            transaction.on_commit(lambda: cache.forget_entries(numbers))
            return None
        PublishedRcml.objects.update_or_create(aa_system_sid=aa_system_sid, version=version, defaults={"plan": plan})
        system.published_version = version
        system.publish_status = PublishStatus.PUBLISHED
        system.publish_error = ""
        system.save(update_fields=["published_version", "publish_status", "publish_error"])

        def announce() -> None:
            cache.store_plan(plan)
            cache.forget_entries(numbers)  # new calls to these numbers get this version at once

        transaction.on_commit(announce)
    return version
