"""Call recordings (voicemail messages) the executors upload, kept in Django's default storage.

A recording is named by its SID (`RE` + 32 hex) and lives at `recordings/<2 hex>/<sid>.wav` under
MEDIA_ROOT; its URL on the portal is `/rcml/recording/<sid>.wav`, which is what the executor passes
on as the `RecordingUrl` of the RCML voicemail-done step and what a voicemail message stores.
"""

from __future__ import annotations

import re
import struct
from urllib.parse import urlsplit

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponseBase

from autoattendant.sids import RECORDING, new_sid
from speech.wav_http import serve_wav

SID_PATTERN = re.compile(rf"^{RECORDING}[0-9a-f]{{32}}$")
URL_PATTERN = re.compile(rf"/rcml/recording/({RECORDING}[0-9a-f]{{32}})\.wav$")


class NotWav(ValueError):
    """The body is not a RIFF/WAVE file with a format and a data chunk."""


def storage_name(sid: str) -> str:
    return f"recordings/{sid[len(RECORDING) : len(RECORDING) + 2]}/{sid}.wav"


def url(sid: str) -> str:
    return f"/rcml/recording/{sid}.wav"


def sid_from_url(recording_url: str) -> str | None:
    """The SID of a recording stored here, from its URL (absolute or relative); None for any other URL."""
    match = URL_PATTERN.search(urlsplit(recording_url or "").path)
    return match.group(1) if match else None


def check_wav(data: bytes) -> None:
    """A RIFF/WAVE file whose chunks include `fmt ` and `data` (any codec: PCM, G.711…)."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise NotWav("not a RIFF/WAVE file")
    position, seen = 12, set[bytes]()
    while position + 8 <= len(data) and not {b"fmt ", b"data"} <= seen:
        chunk, size = data[position : position + 4], struct.unpack("<I", data[position + 4 : position + 8])[0]
        if chunk == b"fmt " and size < 16:
            raise NotWav("the format chunk is too short")
        seen.add(chunk)
        position += 8 + size + (size & 1)
    if b"fmt " not in seen:
        raise NotWav("no format chunk")
    if b"data" not in seen:
        raise NotWav("no data chunk")


def store(data: bytes) -> str:
    """Keep a WAV (checked by the caller); return its new SID."""
    sid = new_sid(RECORDING)
    default_storage.save(storage_name(sid), ContentFile(data))
    return sid


def delete(sid: str) -> None:
    default_storage.delete(storage_name(sid))


def serve(request: HttpRequest, recording_url: str, *, filename: str) -> HttpResponseBase | None:
    """A recording the portal keeps, by its URL, as WAV (ranges, ETag) for the API's and the
    console's voicemail players; None when the URL names a recording kept elsewhere, or the file is gone."""
    sid = sid_from_url(recording_url)
    if not sid:
        return None
    # A recording never changes: its name's stem, the SID, is its ETag (serve_wav's default).
    return serve_wav(request, default_storage, storage_name(sid), filename=filename)
