"""Call records (CDRs): a call is recorded when the portal serves its entry document, and completed
by its executor's report once it ended.

- `record_call_start`: the entry document was served (telephony.rcml.views.voice): the call is
  stored IN_PROGRESS, with its AA system and enterprise, so a call whose executor dies with it is
  still in the records.
- `record_call`/`record_calls`: the executor's report (`POST /rcml/call`) completes that record,
  keyed by the executor's call SID: a retried report updates what the first one wrote. A report of
  a call the portal did not see begin (its entry document failed) is stored if it names an AA system
  that exists; one that names none (a number in no AA system) is not stored: such calls are the
  executor's counters, not rows nobody can see.
- `close_lost_calls`: records still IN_PROGRESS CALL_LOST_AFTER_SECONDS after the call began are
  closed as LOST (a periodic task); a report arriving later still completes them.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from autoattendant import sids
from autoattendant.choices import CallOutcome
from autoattendant.models import AutoAttendantSystem, CallRecord
from autoattendant.services.roles import Permissions

logger = logging.getLogger(__name__)

# Read by every role, each in its tenant scope; written by the executors only, never by a user.
PERMISSIONS = Permissions(create=frozenset(), update=frozenset(), delete=frozenset())


@dataclass(frozen=True)
class CallStart:
    """A call whose entry document the portal is serving."""

    call_sid: str
    aa_system_sid: str
    start_time: datetime.datetime
    from_number: str = ""
    to_number: str = ""
    sip_call_id: str = ""
    executor: str = ""


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
    sip_call_id: str = ""
    menu_path: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    dial_status: str = ""
    transfer_target: str = ""
    executor: str = ""
    hangup_cause: str = ""


def _enterprise_sids(aa_system_sids: set[str]) -> dict[str, str]:
    """Each AA system's enterprise now, kept on its calls' records so that a call stays its
    enterprise's when the system is deleted; a system gone (or none) has no entry: nobody's call."""
    return dict(AutoAttendantSystem.objects.filter(sid__in=aa_system_sids - {""}).values_list("sid", "enterprise__sid"))


def record_call_start(start: CallStart) -> bool:
    """Store the call IN_PROGRESS, once (the executor may fetch its entry document twice); False
    when it is nobody's (its AA system is gone)."""
    enterprise_sid = _enterprise_sids({start.aa_system_sid}).get(start.aa_system_sid)
    if not enterprise_sid:
        return False
    record = CallRecord(
        sid=sids.new_sid(sids.CALL_RECORD),
        call_sid=start.call_sid,
        sip_call_id=start.sip_call_id,
        from_number=start.from_number,
        to_number=start.to_number,
        aa_system_sid=start.aa_system_sid,
        enterprise_sid=enterprise_sid,
        outcome=CallOutcome.IN_PROGRESS,
        start_time=start.start_time,
        executor=start.executor,
    )
    CallRecord.objects.bulk_create([record], ignore_conflicts=True)  # INSERT … ON CONFLICT DO NOTHING
    return True


def _ending(report: CallReport) -> dict:
    """What a report writes on the call's record."""
    answer = report.answer_time
    ending = {
        "from_number": report.from_number,
        "to_number": report.to_number,
        "menu_path": list(report.menu_path),
        "keys": list(report.keys),
        "outcome": report.outcome,
        "dial_status": report.dial_status,
        "transfer_target": report.transfer_target,
        "start_time": report.start_time,
        "answer_time": answer,
        "end_time": report.end_time,
        "duration_seconds": round((report.end_time - answer).total_seconds()) if answer else 0,
        "executor": report.executor,
        "hangup_cause": report.hangup_cause,
        "date_updated": timezone.now(),
    }
    # What the entry document recorded stays unless the report knows better.
    if report.aa_system_sid:
        ending["aa_system_sid"] = report.aa_system_sid
    if report.sip_call_id:
        ending["sip_call_id"] = report.sip_call_id
    return ending


def record_call(report: CallReport) -> str | None:
    """Complete the call's record (or update it again: a retried report); its SID. A call the
    portal did not see begin is stored now if its AA system exists; None when it is nobody's."""
    return record_calls([report])[0]


@transaction.atomic
def record_calls(reports: Sequence[CallReport]) -> list[str | None]:
    """A batch of reports (an executor reporting many calls a second), stored all or none; their
    SIDs (None for a report not stored, as record_call).

    A few statements whatever the batch's size: which calls are recorded already, the enterprises
    of the others' AA systems, one INSERT … ON CONFLICT DO UPDATE per set of fields the reports
    write (a report that knows no AA system or SIP Call-ID leaves the entry document's), and the SIDs.
    """
    latest = {report.call_sid: report for report in reports}  # a call reported twice: its last report
    known = set(CallRecord.objects.filter(call_sid__in=latest).values_list("call_sid", flat=True))
    new_systems = {report.aa_system_sid for report in latest.values() if report.call_sid not in known}
    enterprises = _enterprise_sids(new_systems)
    by_fields: dict[tuple[str, ...], list[CallRecord]] = defaultdict(list)
    for report in latest.values():
        enterprise_sid = enterprises.get(report.aa_system_sid, "")
        if report.call_sid not in known and not enterprise_sid:
            logger.info("call %s not recorded: it names no AA system", report.call_sid)
            continue
        ending = _ending(report)
        record = CallRecord(
            sid=sids.new_sid(sids.CALL_RECORD),
            call_sid=report.call_sid,
            enterprise_sid=enterprise_sid,
            **{name: value for name, value in ending.items() if name != "date_updated"},
        )
        by_fields[tuple(ending)].append(record)
    for fields, records in by_fields.items():
        # One statement: a report racing its entry document (or a retry) cannot insert the call twice.
        CallRecord.objects.bulk_create(
            records, update_conflicts=True, unique_fields=["call_sid"], update_fields=list(fields)
        )
    stored = [record.call_sid for records in by_fields.values() for record in records]
    found = dict(CallRecord.objects.filter(call_sid__in=stored).values_list("call_sid", "sid")) if stored else {}
    return [found.get(report.call_sid) for report in reports]


def close_lost_calls(now: datetime.datetime | None = None) -> int:
    """Close as LOST the calls still IN_PROGRESS CALL_LOST_AFTER_SECONDS after they began: longer
    than an executor lets a call last, so their executor stopped without reporting them. How many."""
    after = settings.CALL_LOST_AFTER_SECONDS
    cutoff = (now or timezone.now()) - datetime.timedelta(seconds=after)
    closed = CallRecord.objects.filter(outcome=CallOutcome.IN_PROGRESS, start_time__lt=cutoff).update(
        outcome=CallOutcome.LOST,
        hangup_cause=f"No end reported by the executor within {after} s (the executor stopped?)",
        date_updated=timezone.now(),
    )
    if closed:
        logger.warning("%d call record(s) closed as lost: no end reported within %s s", closed, after)
    return closed
