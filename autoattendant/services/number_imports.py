"""CSV imports of phone numbers and extensions: parsed and checked at upload, created by a Celery task
row by row through `create_phone_number`, the same rule as one number created through the API.

Columns (a header row is required; only `number` is): `number`, `extension` (digits: the row is an
extension), `type` (`number` or `client`, for extensions: a phone number or a SIP client),
`name` (the extension's spoken name, or the number's friendly name), `clientPassword` (a SIP client's).
"""

from __future__ import annotations

import csv
import io
import logging
import time

from django.core.files import File
from django.db import transaction

from autoattendant.choices import ExtensionType
from autoattendant.errors import AAError, Code
from autoattendant.models import NumberImport
from autoattendant.services import jobs
from autoattendant.services.access import access_enterprise
from autoattendant.services.phone_numbers import PERMISSIONS as NUMBER_PERMISSIONS
from autoattendant.services.phone_numbers import create_phone_number

log = logging.getLogger(__name__)

COLUMNS = ("number", "extension", "type", "name", "clientPassword")
MAX_ROWS = 5000
MAX_BYTES = 1024 * 1024
# One task run works this long, then hands the rest to a new run: no run nears the time limits.
RUN_BUDGET_SECONDS = 20.0
SAMPLE = (
    "number,extension,type,name,clientPassword\n"
    "+14155550100,,,Main line,\n"
    "+14155550201,201,number,Alice,\n"
    "+14155550202,202,client,Bob,s3cret-pass\n"
)


def _file_error(message: str) -> AAError:
    return AAError(Code.BAD_REQUEST, message="The CSV file cannot be imported", errors={"file": [message]})


def _read(data: bytes | File) -> bytes:
    """The file's bytes; an upload larger than MAX_BYTES is refused before it is read."""
    size = len(data) if isinstance(data, bytes) else data.size
    if size > MAX_BYTES:
        raise _file_error(f"The file is larger than {MAX_BYTES // 1024} KB.")
    return data if isinstance(data, bytes) else data.read()


def parse(data: bytes | File) -> list[dict]:
    """The rows of the file, each with its line number; AAError (400, errors.file) when it cannot be read."""
    data = _read(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _file_error("The file is not UTF-8 text.") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in reader.fieldnames or []]
    if "number" not in header:
        raise _file_error(f"The first line must name the columns: {', '.join(COLUMNS)} (number is required).")
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise _file_error(f"Unknown columns: {', '.join(unknown)}. Allowed: {', '.join(COLUMNS)}.")
    reader.fieldnames = header
    rows = []
    try:
        for record in reader:
            values = {name: (record.get(name) or "").strip() for name in COLUMNS}
            if not any(values.values()):
                continue
            rows.append({"line": reader.line_num, **values})
            if len(rows) > MAX_ROWS:
                raise _file_error(f"The file has more than {MAX_ROWS} rows; split it.")
    except csv.Error as exc:
        raise _file_error(f"Line {reader.line_num}: {exc}.") from None
    if not rows:
        raise _file_error("The file has no rows under its header.")
    return rows


@transaction.atomic
def start_import(actor, *, enterprise_sid: str, data: bytes | File, file_name: str = "") -> NumberImport:
    NUMBER_PERMISSIONS.require(actor, "create")
    enterprise = access_enterprise(actor, enterprise_sid)
    rows = parse(data)
    job = NumberImport.objects.create(
        organisation_id=actor.organisation_id,
        enterprise=enterprise,
        actor=actor,
        file_name=file_name[:255],
        rows=rows,
        total=len(rows),
    )
    jobs.queue_on_commit(jobs.IMPORT_NUMBERS, job.pk)
    return job


def _create(actor, enterprise_sid: str, row: dict) -> None:
    is_extension = bool(row["extension"])
    kind = (row["type"] or ExtensionType.NUMBER).lower()
    if kind not in ExtensionType.values:
        raise AAError(Code.BAD_REQUEST, message=f"type must be {' or '.join(ExtensionType.values)}")
    create_phone_number(
        actor,
        number=row["number"],
        enterprise_sid=enterprise_sid,
        is_extension=is_extension,
        extension=row["extension"],
        extension_spoken_name=row["name"] if is_extension else "",
        friendly_name="" if is_extension else row["name"],
        extension_type=kind if is_extension else ExtensionType.NUMBER,
        extension_client_password=row["clientPassword"] or None,
    )


def run(import_id: int, budget: float = RUN_BUDGET_SECONDS) -> bool:
    """Import rows for about `budget` seconds, at least one. True when rows are left (the caller runs again)."""
    deadline = time.monotonic() + budget
    job = NumberImport.objects.select_related("actor", "enterprise").filter(pk=import_id).first()
    if job is None or job.finished:
        return False
    if job.actor is None or not job.actor.is_active:
        NumberImport.objects.filter(pk=job.pk).update(status=NumberImport.Status.FAILED, error="The uploader is gone.")
        return False
    NumberImport.objects.filter(pk=job.pk, status=NumberImport.Status.QUEUED).update(status=NumberImport.Status.RUNNING)
    while True:
        with transaction.atomic():
            # The row lock makes two runs of the same import (a redelivered task) take turns.
            locked = NumberImport.objects.select_for_update().get(pk=job.pk)
            if locked.done >= locked.total or locked.finished:
                locked.status = NumberImport.Status.DONE
                locked.save(update_fields=["status", "date_updated"])
                return False
            row = locked.rows[locked.done]
            try:
                _create(job.actor, job.enterprise.sid, row)
            except AAError as exc:
                locked.failures.append(
                    {
                        "row": row["line"],
                        "number": row["number"],
                        "code": exc.error_code.code,
                        "message": exc.describe(),
                    }
                )
            else:
                locked.created += 1
            locked.done += 1
            if locked.done >= locked.total:
                locked.status = NumberImport.Status.DONE
            locked.save(update_fields=["failures", "created", "done", "status", "date_updated"])
            if locked.status == NumberImport.Status.DONE:
                return False
        if time.monotonic() >= deadline:
            return True


def continue_later(import_id: int) -> None:
    jobs.queue(jobs.IMPORT_NUMBERS, import_id)


def mark_failed(import_id: int, error: str) -> None:
    NumberImport.objects.filter(pk=import_id).exclude(status=NumberImport.Status.DONE).update(
        status=NumberImport.Status.FAILED, error=error[:2000]
    )
