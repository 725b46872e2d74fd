"""Call records (CDRs): what the executors report once a call has ended.

A report is keyed by the call's SID (the SIP Call-ID): a retried report updates the record it made
the first time, so an executor may post again whenever it is unsure the portal got it.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction

from autoattendant import sids
from autoattendant.models import AutoAttendantSystem, CallRecord
from autoattendant.services.roles import Permissions

# Read by every role, each in its tenant scope; written by the executors only, never by a user.
PERMISSIONS = Permissions(create=frozenset(), update=frozenset(), delete=frozenset())


@dataclass(frozen=True)
class CallReport:
    """One call as the executor saw it; the fields of a CallRecord that the executor knows."""

    call_sid: str
    outcome: str
    start_time: datetime.datetime
    end_time: datetime.datetime
    answer_time: datetime.datetime | None = None
    from_number: str = ""
    to_number: str = ""
    aa_system_sid: str = ""
    menu_path: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    dial_status: str = ""
    transfer_target: str = ""
    executor: str = ""
    hangup_cause: str = ""


# What a retried report overwrites: everything but the record's own SID and creation time.
UPDATED_ON_RETRY = [
    "from_number",
    "to_number",
    "aa_system_sid",
    "enterprise_sid",
    "menu_path",
    "keys",
    "outcome",
    "dial_status",
    "transfer_target",
    "start_time",
    "answer_time",
    "end_time",
    "duration_seconds",
    "executor",
    "hangup_cause",
    "date_updated",
]


def _enterprise_sid(aa_system_sid: str) -> str:
    """The AA system's enterprise now, kept on the record so that the call stays its enterprise's
    when the system is deleted; empty for a number in no AA system (or a system already gone)."""
    if not aa_system_sid:
        return ""
    found = AutoAttendantSystem.objects.filter(sid=aa_system_sid).values_list("enterprise__sid", flat=True).first()
    return found or ""


def record_call(report: CallReport) -> str:
    """Store a call's record, or update the one with its call SID (a retried report); its SID."""
    answer = report.answer_time
    record = CallRecord(
        sid=sids.new_sid(sids.CALL_RECORD),
        call_sid=report.call_sid,
        from_number=report.from_number,
        to_number=report.to_number,
        aa_system_sid=report.aa_system_sid,
        enterprise_sid=_enterprise_sid(report.aa_system_sid),
        menu_path=list(report.menu_path),
        keys=list(report.keys),
        outcome=report.outcome,
        dial_status=report.dial_status,
        transfer_target=report.transfer_target,
        start_time=report.start_time,
        answer_time=answer,
        end_time=report.end_time,
        duration_seconds=round((report.end_time - answer).total_seconds()) if answer else 0,
        executor=report.executor,
        hangup_cause=report.hangup_cause,
    )
    with transaction.atomic():
        # One statement (INSERT … ON CONFLICT DO UPDATE): two reports of one call cannot both insert.
        CallRecord.objects.bulk_create(
            [record], update_conflicts=True, unique_fields=["call_sid"], update_fields=UPDATED_ON_RETRY
        )
        return CallRecord.objects.values_list("sid", flat=True).get(call_sid=record.call_sid)


@transaction.atomic
def record_calls(reports: Sequence[CallReport]) -> list[str]:
    """A batch of reports (an executor reporting many calls a second), stored all or none; their SIDs."""
    return [record_call(report) for report in reports]
