"""Announcements: the prompts callers hear, spoken from text (TTS) or uploaded as audio (AUDIO).

An upload is checked here, synchronously, before any row is written: larger than
ANNOUNCEMENT_MAX_BYTES is 529, unreadable or empty 527, longer than ANNOUNCEMENT_MAX_SECONDS 528.
Rendering (espeak-ng) and transcoding (sox) to 8 kHz mono WAV run in the Celery task
`telephony.render_announcement`, queued on commit with the announcement's `revision`: every change
of what is to be heard bumps it, so a late render of old content is dropped.

Lock order, shared with the render task and the menu and AA system services (which lock their AA
system before they point at an announcement): the enterprise's AA systems first, then the
announcement. Holding those locks, "not in use" stays true until the delete or type change commits.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import ProtectedError, Q

from autoattendant import sids
from autoattendant.choices import AnnouncementStatus, AnnouncementType, AuditAction, Role, Voice
from autoattendant.errors import AAError, Code
from autoattendant.models import Announcement, AutoAttendantSystem, Enterprise, Menu
from autoattendant.services import audit, jobs
from autoattendant.services.access import access_by_sid, access_enterprise
from autoattendant.services.base import UNSET
from autoattendant.services.publishing import request_publish_for_enterprise
from autoattendant.services.roles import ADMINS, Permissions
from autoattendant.services.systems import ACTION_FIELDS as SYSTEM_ACTION_FIELDS
from speech.audio import SpeechError, probe, sniff_type
from speech.tts import known_languages

# Announcements are the enterprise's: its admins (and the CSP) change them, AA admins listen.
PERMISSIONS = Permissions(create=ADMINS, update=ADMINS, delete=ADMINS)
TEXT_MAX_LENGTH = 5000
FILE_FIELDS = ("source_file", "audio_file")
# An announcement has audio to play once rendered, and keeps playing it while a change renders.
PLAYABLE = {AnnouncementStatus.READY, AnnouncementStatus.PROCESSING}


def access_announcement(user, sid, *, for_update: bool = False) -> Announcement:
    return access_by_sid(
        Announcement.objects.select_related("enterprise"),
        user,
        sid,
        Code.ANNOUNCEMENT_NOT_FOUND,
        for_update=for_update,
    )


def lock_for_change(enterprise_id: int, pk: int) -> Announcement | None:
    """The announcement row locked for writing, after its enterprise's AA systems (the lock order
    above); None when it is gone."""
    list(AutoAttendantSystem.objects.filter(enterprise_id=enterprise_id).order_by("pk").select_for_update())
    return Announcement.objects.select_for_update(of=("self",)).select_related("enterprise").filter(pk=pk).first()


def _locked(actor, sid: str) -> Announcement:
    visible = access_announcement(actor, sid)
    announcement = lock_for_change(visible.enterprise_id, visible.pk)
    if announcement is None:
        raise AAError(Code.ANNOUNCEMENT_NOT_FOUND, {"sid": sid})
    return announcement


def usages(announcement: Announcement) -> list[str]:
    """Where the announcement is heard, in words: what stops it from being deleted or changing type."""
    sid = announcement.sid
    used_by: list[str] = []
    menus = Menu.objects.filter(
        Q(greeting_announcement_id=announcement.pk) | Q(options__contains=[{"actionData": sid}])
    )
    for menu in menus.order_by("date_created", "id"):
        if menu.greeting_announcement_id == announcement.pk:
            used_by.append(f"menu {menu.sid} ({menu.name}) greeting")
        for option in menu.options or []:
            if isinstance(option, dict) and option.get("actionData") == sid:
                used_by.append(f"menu {menu.sid} ({menu.name}) key {option.get('key')}")
    by_action = Q()
    for field in SYSTEM_ACTION_FIELDS:
        by_action |= Q(**{f"{field}__actionData": sid})
    for system in AutoAttendantSystem.objects.filter(by_action).order_by("date_created", "id"):
        for field, api_name in SYSTEM_ACTION_FIELDS.items():
            action = getattr(system, field)
            if isinstance(action, dict) and action.get("actionData") == sid:
                used_by.append(f"system {system.sid} {api_name}")
    return used_by


def audio_to_play(announcement: Announcement) -> str:
    """The stored WAV callers hear now (while a change renders, the previous one); 533 when none."""
    if not announcement.audio_file or announcement.status not in PLAYABLE:
        raise AAError(Code.ANNOUNCEMENT_NOT_READY, {"sid": announcement.sid})
    return announcement.audio_file.name


def _check_not_in_use(announcement: Announcement, sid: str) -> None:
    used_by = usages(announcement)
    if used_by:
        raise AAError(Code.ANNOUNCEMENT_IN_USE, {"sid": sid}, errors={"usedBy": used_by})


# Validation of what is to be heard.


def _invalid(field: str, message: str) -> AAError:
    return AAError(Code.BAD_REQUEST, message="Validation failed", errors={field: [message]})


def _check_language(language: str) -> str:
    language = (language or "").strip().lower()
    if not language:
        raise _invalid("language", "A language code is required, for example en.")
    known = known_languages()
    # Without espeak-ng on this machine every language is taken; the render then fails visibly.
    if known is not None and language not in known:
        raise _invalid("language", f"Unknown language {language!r}; use an espeak-ng language such as en or de.")
    return language


def _check_tts(text: str, language: str, voice: str) -> tuple[str, str, str]:
    if not isinstance(text, str) or not text.strip():
        raise _invalid("text", "A TTS announcement needs its text.")
    if len(text) > TEXT_MAX_LENGTH:
        raise _invalid("text", f"At most {TEXT_MAX_LENGTH} characters.")
    if voice not in Voice.values:
        raise _invalid("voice", f"Use one of {', '.join(Voice.values)}.")
    return text, _check_language(language), voice


@contextmanager
def _spooled(upload: UploadedFile, suffix: str) -> Iterator[str]:
    """The upload as a file on disk, where sox can read it."""
    path = getattr(upload, "temporary_file_path", None)
    if path is not None:
        yield path()
        return
    handle, name = tempfile.mkstemp(prefix="announcement-", suffix=suffix)
    try:
        with os.fdopen(handle, "wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        yield name
    finally:
        os.unlink(name)


def check_upload(upload: UploadedFile) -> str:
    """Refuse what cannot become an announcement (529, 527, 528); return sox's type for the file."""
    max_bytes = settings.ANNOUNCEMENT_MAX_BYTES
    if upload.size is not None and upload.size > max_bytes:
        raise AAError(
            Code.AUDIO_TOO_LARGE, errors={"audio": [f"The file has {upload.size} bytes; at most {max_bytes}."]}
        )
    if not upload.size:
        raise AAError(Code.AUDIO_UNREADABLE, errors={"audio": ["The file is empty."]})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    audio_type = sniff_type(head, upload.name or "")
    if audio_type is None:
        raise AAError(Code.AUDIO_UNREADABLE, errors={"audio": ["Not a WAV, MP3, OGG or FLAC file."]})
    with _spooled(upload, f".{audio_type}") as path:
        try:
            duration = probe(path, audio_type).duration_seconds
        except SpeechError as exc:
            raise AAError(Code.AUDIO_UNREADABLE, errors={"audio": [str(exc)]}) from None
    upload.seek(0)
    if duration <= 0:
        raise AAError(Code.AUDIO_UNREADABLE, errors={"audio": ["The audio is empty (no duration)."]})
    max_seconds = settings.ANNOUNCEMENT_MAX_SECONDS
    if duration > max_seconds:
        raise AAError(
            Code.AUDIO_TOO_LONG, errors={"audio": [f"The audio lasts {duration:.1f} s; at most {max_seconds:g} s."]}
        )
    return audio_type


def _store_source(announcement: Announcement, upload: UploadedFile, audio_type: str) -> str:
    """Keep the upload as received (the render task transcodes it), named by SID and revision."""
    extension = {"vorbis": "ogg"}.get(audio_type, audio_type)
    announcement.source_file.save(f"{announcement.sid}-{announcement.revision}.{extension}", upload, save=False)
    return announcement.source_file.name


@contextmanager
def _removed_on_failure(stored: list[str]) -> Iterator[None]:
    """Files stored by a change that then fails are removed: no row will ever point at them."""
    try:
        yield
    except BaseException:
        storage = Announcement._meta.get_field("source_file").storage
        for name in stored:
            storage.delete(name)
        raise


def _delete_files_on_commit(*names: str) -> None:
    names = tuple(name for name in names if name)
    if not names:
        return
    storage = Announcement._meta.get_field("audio_file").storage

    def delete() -> None:
        for name in names:
            storage.delete(name)

    transaction.on_commit(delete)


def _queue_render(announcement: Announcement) -> None:
    jobs.queue_on_commit(jobs.RENDER_ANNOUNCEMENT, announcement.sid, announcement.revision)


def _snapshot(announcement: Announcement) -> dict:
    data = audit.snapshot(announcement)
    for field in FILE_FIELDS:
        data[field] = getattr(announcement, field).name or ""
    return data


def _enterprise_for(actor, enterprise_sid: str | None) -> Enterprise:
    if enterprise_sid:
        return access_enterprise(actor, enterprise_sid)
    if actor.role == Role.BG_ADMIN and actor.enterprise_id:
        return access_enterprise(actor, actor.enterprise.sid)
    raise AAError(Code.ENTERPRISE_REQUIRED, errors={"enterpriseSid": ["This field is required."]})


def _set_audio_content(announcement: Announcement, *, text, language, upload) -> str | None:
    """An AUDIO announcement's fields; the sox type of a new upload (checked), or None."""
    if isinstance(text, str) and text.strip():
        raise _invalid("text", "Only a TTS announcement takes text; an AUDIO one plays its file.")
    if isinstance(language, str) and language.strip():
        announcement.language = language.strip().lower()
    announcement.text = ""
    return check_upload(upload) if upload is not None else None


@transaction.atomic
def create_announcement(
    actor,
    *,
    name: str,
    enterprise_sid: str | None = None,
    announcement_type: str | None = None,
    text: str = "",
    language: str = "en",
    voice: str = Voice.WOMAN,
    audio: UploadedFile | None = None,
) -> Announcement:
    PERMISSIONS.require(actor, "create")
    enterprise = _enterprise_for(actor, enterprise_sid)
    announcement_type = announcement_type or (AnnouncementType.AUDIO if audio is not None else AnnouncementType.TTS)
    announcement = Announcement(
        sid=sids.new_sid(sids.ANNOUNCEMENT),
        enterprise=enterprise,
        name=name,
        type=announcement_type,
        account_email=actor.email_id,
    )
    stored: list[str] = []
    with _removed_on_failure(stored):
        if announcement_type == AnnouncementType.TTS:
            if audio is not None:
                raise _invalid("audio", "Only an AUDIO announcement takes a file.")
            announcement.text, announcement.language, announcement.voice = _check_tts(text, language, voice)
        else:
            if audio is None:
                raise _invalid("audio", "An AUDIO announcement needs its file (multipart field audio).")
            audio_type = _set_audio_content(announcement, text=text, language=language, upload=audio)
            stored.append(_store_source(announcement, audio, audio_type))
        announcement.save()
        audit.record(actor, AuditAction.CREATE, announcement, after=_snapshot(announcement))
    _queue_render(announcement)
    return announcement


@transaction.atomic
def update_announcement(
    actor,
    sid: str,
    *,
    name=UNSET,
    enterprise_sid=UNSET,
    announcement_type=UNSET,
    text=UNSET,
    language=UNSET,
    voice=UNSET,
    audio=UNSET,
) -> Announcement:
    """Change the name, or what is heard: new text, language or voice re-renders a TTS
    announcement, a new file re-transcodes an AUDIO one (a new revision; the previous audio plays
    until the new one is ready). Changing the type of an announcement in use is 523."""
    PERMISSIONS.require(actor, "update")
    announcement = _locked(actor, sid)
    before = _snapshot(announcement)
    if enterprise_sid is not UNSET and enterprise_sid and enterprise_sid != announcement.enterprise.sid:
        access_enterprise(actor, enterprise_sid)  # not visible: 467, as anywhere else
        raise _invalid("enterpriseSid", "An announcement cannot move to another enterprise.")
    new_type = announcement_type if announcement_type not in (UNSET, None, "") else announcement.type
    type_changes = new_type != announcement.type
    if type_changes:
        _check_not_in_use(announcement, sid)
    upload = None if audio is UNSET else audio
    old_source = announcement.source_file.name
    stored: list[str] = []
    with _removed_on_failure(stored):
        if name is not UNSET:
            announcement.name = name
        if new_type == AnnouncementType.TTS:
            if upload is not None:
                raise _invalid("audio", "Only an AUDIO announcement takes a file.")
            content = _check_tts(
                announcement.text if text is UNSET else text,
                announcement.language if language is UNSET else language,
                announcement.voice if voice is UNSET else voice,
            )
            rerender = type_changes or content != (announcement.text, announcement.language, announcement.voice)
            # What failed is tried again when it is sent again, changed or not.
            retry = announcement.status == AnnouncementStatus.FAILED and any(
                value is not UNSET for value in (text, language, voice)
            )
            rerender = rerender or retry
            announcement.text, announcement.language, announcement.voice = content
            audio_type = None
            if type_changes:
                announcement.source_file = ""
        else:
            if type_changes and upload is None:
                raise _invalid("audio", "An AUDIO announcement needs its file (multipart field audio).")
            audio_type = _set_audio_content(
                announcement,
                text=None if text is UNSET else text,
                language=None if language is UNSET else language,
                upload=upload,
            )
            rerender = audio_type is not None
        announcement.type = new_type
        if rerender:
            announcement.revision += 1
            announcement.status = AnnouncementStatus.PROCESSING
            announcement.failure_reason = ""
            announcement.duration_seconds = None
            if audio_type is not None:
                stored.append(_store_source(announcement, upload, audio_type))
        announcement.account_email = actor.email_id
        announcement.save()
        audit.record(actor, AuditAction.UPDATE, announcement, before=before, after=_snapshot(announcement))
    if old_source and old_source != announcement.source_file.name:
        _delete_files_on_commit(old_source)
    if rerender:
        _queue_render(announcement)  # the task republishes the systems once the audio is ready
    else:
        request_publish_for_enterprise(announcement.enterprise_id)
    return announcement


@transaction.atomic
def delete_announcement(actor, sid: str) -> Announcement:
    PERMISSIONS.require(actor, "delete")
    announcement = _locked(actor, sid)
    _check_not_in_use(announcement, sid)
    audit.record(actor, AuditAction.DELETE, announcement, before=_snapshot(announcement))
    files = [getattr(announcement, field).name for field in FILE_FIELDS]
    try:
        with transaction.atomic():
            announcement.delete()
    except ProtectedError:  # a reference the check above does not know of yet
        raise AAError(Code.ANNOUNCEMENT_IN_USE, {"sid": sid}, errors={"usedBy": usages(announcement)}) from None
    _delete_files_on_commit(*files)
    return announcement
