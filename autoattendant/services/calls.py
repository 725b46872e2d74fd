"""Call records (CDRs): a call is recorded when the portal serves its entry document, and completed
by its executor's report once it ended.

- `record_call_start`: the entry document was served (telephony.rcml.views.voice): the call is
  stored IN_PROGRESS, with its AA system and enterprise, so a call whose executor dies with it is
  still in the records.
- `record_call`/`record_calls`: the executor's report (`POST /rcml/call`) completes that record,
  keyed by the executor's call SID: a retried report updates what the first one wrote. A report of
  a call the portal did not see begin (its entry document failed) is stored if it names an AA system
  that exists, or no AA system but a telephony account (a Restcomm application's call, an outbound
  call placed through the Restcomm API); one that names neither is not stored: such calls are the
  executor's counters, not rows nobody can see.
- `close_lost_calls`: records still IN_PROGRESS CALL_LOST_AFTER_SECONDS after the call began are
  closed as LOST (a periodic task); a report arriving later still completes them.
  `close_calls_of_executor` closes them sooner, once the executors' heartbeats show that the executor
  holding them stopped or restarted (telephony.live_calls).

Off the request path: the call endpoints queue starts and reports in a Redis stream
(`queue_call_start`, `queue_call_reports`) and `store_queued_calls` (a Celery task, sent within
CALL_RECORDS_FLUSH_SECONDS of the first event queued and by beat as often) writes what is queued in
one transaction: the starts first, then the reports, so a start and an end of one call end as one
row whichever came first. An entry leaves the stream only once its transaction committed; a writer
that dies before that leaves it pending, and the next run stores it again (idempotent by callSid).
When Redis fails, the endpoints store directly, as before (telephony.rcml.views).
"""

from __future__ import annotations

import datetime
import json
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.utils import timezone

from autoattendant import sids
from autoattendant.choices import CallOutcome
from autoattendant.models import AutoAttendantSystem, CallRecord
from autoattendant.services.jobs import STORE_QUEUED_CALLS
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
    account_sid: str = ""  # the telephony (Restcomm) account: a call of no AA system is its account's
    direction: str = "inbound"
    parent_call_sid: str = ""


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
    account_sid: str = ""
    direction: str = "inbound"
    parent_call_sid: str = ""


def _enterprise_sids(aa_system_sids: set[str]) -> dict[str, str]:
    """Each AA system's enterprise now, kept on its calls' records so that a call stays its
    enterprise's when the system is deleted; a system gone (or none) has no entry: nobody's call."""
    return dict(AutoAttendantSystem.objects.filter(sid__in=aa_system_sids - {""}).values_list("sid", "enterprise__sid"))


def record_call_start(start: CallStart) -> bool:
    """Store the call IN_PROGRESS, once (the executor may fetch its entry document twice); False
    when it is nobody's (its AA system is gone and it names no account)."""
    return record_call_starts([start]) == 1


def record_call_starts(starts: Sequence[CallStart]) -> int:
    """Store calls IN_PROGRESS in one INSERT … ON CONFLICT DO NOTHING: a call recorded already (its
    start twice, or its end first) keeps its row as it is. How many were somebody's calls."""
    enterprises = _enterprise_sids({start.aa_system_sid for start in starts})
    records = [
        CallRecord(
            sid=sids.new_sid(sids.CALL_RECORD),
            call_sid=start.call_sid,
            sip_call_id=start.sip_call_id,
            from_number=start.from_number,
            to_number=start.to_number,
            aa_system_sid=start.aa_system_sid,
            enterprise_sid=enterprises.get(start.aa_system_sid, ""),
            outcome=CallOutcome.IN_PROGRESS,
            start_time=start.start_time,
            executor=start.executor,
            account_sid=start.account_sid,
            direction=start.direction,
            parent_call_sid=start.parent_call_sid,
        )
        for start in starts
        if start.aa_system_sid in enterprises or (start.account_sid and not start.aa_system_sid)
    ]
    if records:
        CallRecord.objects.bulk_create(records, ignore_conflicts=True)
    return len(records)


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
    if report.account_sid:
        ending["account_sid"] = report.account_sid
    if report.direction != "inbound":
        ending["direction"] = report.direction
    if report.parent_call_sid:
        ending["parent_call_sid"] = report.parent_call_sid
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
        if (
            report.call_sid not in known
            and not enterprise_sid
            and not (report.account_sid and not report.aa_system_sid)
        ):
            logger.info("call %s not recorded: it names no AA system and no account", report.call_sid)
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


def close_calls_of_executor(executor: str, started_before: datetime.datetime, cause: str) -> list[str]:
    """Close as LOST the calls still IN_PROGRESS that `executor` started before `started_before`: it
    stopped, or restarted since (telephony.live_calls knows from its heartbeats). Their call SIDs."""
    lost = CallRecord.objects.filter(
        outcome=CallOutcome.IN_PROGRESS, executor=executor, start_time__lt=started_before
    ).values_list("call_sid", flat=True)
    call_sids = list(lost)
    if call_sids:
        # A report stored meanwhile has completed its record: only those still in progress close.
        CallRecord.objects.filter(call_sid__in=call_sids, outcome=CallOutcome.IN_PROGRESS).update(
            outcome=CallOutcome.LOST, hangup_cause=cause[:500], date_updated=timezone.now()
        )
        logger.warning("%d call record(s) closed as lost: %s", len(call_sids), cause)
    return call_sids


# The queue: a Redis stream read by one writer at a time through a consumer group.
QUEUE_KEY = "calls:queue"
QUEUE_GROUP = "writer"
QUEUE_CONSUMER = "writer"
TRIGGER_KEY = "calls:queue:trigger"
WRITER_LOCK_KEY = "calls:queue:writer"
FAILED_KEY = "calls:queue:failed"  # entries that cannot be stored even alone (logged), kept for a look
START, END = "start", "end"


def _stream() -> tuple[Any, str]:
    """The Redis client of the default cache and the stream's key (with the cache's prefix)."""
    return cache._cache.get_client(write=True), cache.make_key(QUEUE_KEY)  # type: ignore[attr-defined]


def _encode(events: Sequence[CallStart] | Sequence[CallReport]) -> str:
    # The fields as they are (dataclasses.asdict copies each deeply: a tenth of a request's time here).
    return json.dumps([vars(event) for event in events], default=datetime.datetime.isoformat)


def _queue(
    kind: str, events: Sequence[CallStart] | Sequence[CallReport], also: Callable[[Any], None] | None = None
) -> bool:
    """Append the events as one entry and make sure a writer runs within CALL_RECORDS_FLUSH_SECONDS:
    the first event after a run sends the task (SET NX: one message per interval, whoever queues).
    `also` adds the caller's own commands to the same round trip (the pipeline is its argument).
    Redis errors propagate (the caller stores directly); True once queued."""
    client, key = _stream()
    delay = settings.CALL_RECORDS_FLUSH_SECONDS
    pipe = client.pipeline(transaction=False)
    pipe.xadd(key, {"kind": kind, "events": _encode(events)})
    pipe.set(cache.make_key(TRIGGER_KEY), 1, nx=True, px=max(1, int(delay * 1000)))
    if also is not None:
        also(pipe)
    _, first, *_ = pipe.execute()
    if first:
        try:
            current_app.signature(STORE_QUEUED_CALLS).apply_async(countdown=delay, expires=delay + 60)
        except Exception:  # the entry is queued: beat's next run stores it
            logger.warning("call records queued, but the writer not sent", exc_info=True)
    return True


def queue_call_start(start: CallStart, also: Callable[[Any], None] | None = None) -> bool:
    return _queue(START, [start], also)


def queue_call_reports(reports: Sequence[CallReport]) -> bool:
    """A batch of reports (one request) as one entry: stored together or not at all."""
    return _queue(END, list(reports))


def _decode(kind: str, events: str) -> list[CallStart] | list[CallReport]:
    parse = datetime.datetime.fromisoformat
    if kind == START:
        return [CallStart(**{**event, "start_time": parse(event["start_time"])}) for event in json.loads(events)]
    if kind != END:
        raise ValueError(f"unknown kind {kind!r}")
    reports = []
    for event in json.loads(events):
        for name in ("start_time", "end_time", "answer_time"):
            if event.get(name):
                event[name] = parse(event[name])
        reports.append(CallReport(**event))
    return reports


@transaction.atomic
def _store(entries: Sequence[tuple[str, str]]) -> None:
    """Queued entries (kind, events) in one transaction: starts, then reports."""
    starts: list[CallStart] = []
    reports: list[CallReport] = []
    for kind, events in entries:
        decoded = _decode(kind, events)
        (starts if kind == START else reports).extend(decoded)  # type: ignore[arg-type]
    if starts:
        record_call_starts(starts)
    if reports:
        record_calls(reports)


def _store_each(client, entries: dict[str, tuple[str, str]]) -> None:
    """After a batch failed on its data (not on the database being away): each entry alone, so one
    that cannot be stored does not hold up the others; such an entry is logged and set aside."""
    for entry_id, entry in entries.items():
        try:
            _store([entry])
        except (OperationalError, InterfaceError):
            raise
        except (DatabaseError, ValueError, TypeError, KeyError) as exc:
            logger.error("queued call entry %s cannot be stored (%s); set aside in %s", entry_id, exc, FAILED_KEY)
            client.rpush(cache.make_key(FAILED_KEY), json.dumps([entry_id, *entry]))


def store_queued_calls(batch: int | None = None, seconds: float = 10.0) -> int:
    """Store what is queued, CALL_RECORDS_BATCH entries a transaction, for up to `seconds`; how many
    entries were stored. One writer at a time (a lock in Redis); entries a dead writer left pending
    are stored first."""
    client, key = _stream()
    batch = batch or settings.CALL_RECORDS_BATCH
    # Held at most a little longer than the task's hard time limit (30 s): a writer killed with it
    # held delays the next run by that much, no more.
    lock = client.lock(cache.make_key(WRITER_LOCK_KEY), timeout=max(35.0, 2 * seconds), blocking=False)
    if not lock.acquire():
        return 0
    try:
        client.delete(cache.make_key(TRIGGER_KEY))  # events queued from now on send another run
        try:
            client.xgroup_create(key, QUEUE_GROUP, id="0", mkstream=True)
        except Exception as exc:  # BUSYGROUP: it exists
            if "BUSYGROUP" not in str(exc):
                raise
        stored, pending, deadline = 0, True, time.monotonic() + seconds
        while time.monotonic() < deadline:
            reply = client.xreadgroup(QUEUE_GROUP, QUEUE_CONSUMER, {key: "0" if pending else ">"}, count=batch)
            read = reply[0][1] if reply else []
            if not read:
                if not pending:
                    break
                pending = False
                continue
            entries = {
                _text(entry_id): (_text(fields.get(b"kind", b"")), _text(fields.get(b"events", b"[]")))
                for entry_id, fields in read
                if fields  # an entry deleted while pending comes back empty
            }
            try:
                _store(list(entries.values()))
            except (OperationalError, InterfaceError):
                raise  # the database is away: everything stays queued
            except (DatabaseError, ValueError, TypeError, KeyError):
                logger.warning("a batch of %d queued call entries failed; storing them one by one", len(entries))
                _store_each(client, entries)
            ids = [entry_id for entry_id, _ in read]
            client.xack(key, QUEUE_GROUP, *ids)
            client.xdel(key, *ids)
            stored += len(entries)
        return stored
    finally:
        try:
            lock.release()
        except Exception:  # expired meanwhile: another writer may hold it now
            logger.warning("the call records writer's lock had expired", exc_info=True)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
