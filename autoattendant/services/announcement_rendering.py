"""An announcement turned into the 8 kHz WAV callers hear (the `autoattendant.render_announcement` task).

Queued on commit by `autoattendant.services.announcements`. `render` is idempotent and safe to run
twice or late: it re-reads the row, renders only the revision it was queued for, and writes its
result only if that is still the announcement's revision, under the same locks the services take
(the enterprise's AA systems, then the announcement).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files import File
from django.db import transaction

from autoattendant.choices import AnnouncementStatus, AnnouncementType
from autoattendant.models import Announcement
from autoattendant.services.announcements import lock_for_change
from autoattendant.services.publishing import request_publish_for_enterprise
from speech import audio, tts
from speech.audio import SpeechError

logger = logging.getLogger(__name__)

READY = "ready"
FAILED = "failed"
STALE = "stale"  # the announcement changed since the task was queued: its newer task renders it
GONE = "gone"  # the announcement was deleted
DONE = "done"  # this revision was already rendered (a redelivered task)


def render(announcement_sid: str, revision: int) -> str:
    """Render (TTS) or transcode (AUDIO) the announcement at `revision`; READY with its duration,
    or FAILED with the reason. Returns what happened: ready, failed, stale, gone or done."""
    announcement = Announcement.objects.filter(sid=announcement_sid).first()
    if announcement is None:
        return GONE
    if announcement.revision != revision:
        return STALE
    if announcement.status != AnnouncementStatus.PROCESSING:
        return DONE
    with tempfile.TemporaryDirectory(prefix="announcement-") as workdir:
        target = Path(workdir) / "audio.wav"
        try:
            duration = _produce(announcement, Path(workdir), target)
            if duration <= 0:
                raise SpeechError("The audio is empty")
            if duration > settings.ANNOUNCEMENT_MAX_SECONDS:
                raise SpeechError(f"The audio lasts {duration:.1f} s; at most {settings.ANNOUNCEMENT_MAX_SECONDS:g} s")
        except SpeechError as exc:
            return _finish(announcement_sid, revision, failure=str(exc))
        except SoftTimeLimitExceeded:
            return _finish(announcement_sid, revision, failure="Rendering took too long")
        return _finish(announcement_sid, revision, wav=target, duration=duration)


def _produce(announcement, workdir: Path, target: Path) -> float:
    if announcement.type == AnnouncementType.TTS:
        return tts.render(announcement.text, announcement.language, announcement.voice, target)
    if not announcement.source_file:
        raise SpeechError("The uploaded file is missing")
    # Copied out of storage (which need not be a local disk), under a name whose extension sox reads.
    try:
        with announcement.source_file.open("rb") as stored:
            head = stored.read(16)
            audio_type = audio.sniff_type(head, announcement.source_file.name)
            if audio_type is None:
                raise SpeechError("Not a WAV, MP3, OGG or FLAC file")
            source = workdir / f"source.{audio_type}"
            stored.seek(0)
            with open(source, "wb") as out:
                shutil.copyfileobj(stored, out)
    except OSError as exc:
        raise SpeechError(f"The uploaded file cannot be read: {exc.strerror or exc}") from None
    return audio.normalise(source, target, audio_type)


def _finish(
    announcement_sid: str,
    revision: int,
    *,
    wav: Path | None = None,
    duration: float | None = None,
    failure: str | None = None,
) -> str:
    """Write the result if the announcement is still at `revision`, and republish its systems."""
    row = Announcement.objects.filter(sid=announcement_sid).values("pk", "enterprise_id").first()
    if row is None:
        return GONE
    storage = Announcement._meta.get_field("audio_file").storage
    written: str | None = None
    try:
        with transaction.atomic():
            announcement = lock_for_change(row["enterprise_id"], row["pk"])
            if announcement is None:
                return GONE
            if announcement.revision != revision:
                logger.info("announcement %s changed while rendering revision %s: dropped", announcement_sid, revision)
                return STALE
            if announcement.status != AnnouncementStatus.PROCESSING:
                return DONE
            previous = announcement.audio_file.name
            if failure is not None:
                announcement.status = AnnouncementStatus.FAILED
                announcement.failure_reason = failure
                announcement.duration_seconds = None
                announcement.audio_file = ""
            else:
                name = f"{announcement_sid}-{revision}.wav"
                planned = announcement.audio_file.field.generate_filename(announcement, name)
                if planned != previous and storage.exists(planned):
                    storage.delete(planned)  # left by a run that died before it committed
                assert wav is not None and duration is not None  # a result without a failure has both
                with open(wav, "rb") as rendered:
                    announcement.audio_file.save(name, File(rendered), save=False)
                written = announcement.audio_file.name
                announcement.status = AnnouncementStatus.READY
                announcement.failure_reason = ""
                announcement.duration_seconds = round(duration, 3)
            announcement.save(
                update_fields=["status", "failure_reason", "duration_seconds", "audio_file", "date_updated"]
            )
            if previous and previous != announcement.audio_file.name:
                transaction.on_commit(lambda: storage.delete(previous))
            request_publish_for_enterprise(announcement.enterprise_id)
    except BaseException:
        if written:
            storage.delete(written)
        raise
    if failure is not None:
        logger.warning("announcement %s revision %s failed: %s", announcement_sid, revision, failure)
        return FAILED
    return READY
