"""WAV files served over HTTP: announcements' audio, voicemail recordings, rendered speech.

One helper for every download: an `ETag` answered with 304 on `If-None-Match`, a single `Range`
answered with 206, `HEAD` with the headers alone. The caller decides who may read what, and what a
missing file means (a coded API error, the console's 404, or the executor endpoints' plain 404).
Django's HTTP only: nothing of the domain.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from django.core.files.storage import Storage
from django.http import FileResponse, HttpResponse, HttpResponseBase, HttpResponseNotModified

RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) of a single satisfiable `bytes=` range; None means the whole file (RFC 9110
    lets a server ignore a Range it does not serve: several ranges, or an unsatisfiable one)."""
    match = RANGE.match((header or "").strip())
    if not match or size == 0:
        return None
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":  # the last N bytes
        length = int(last)
        return (max(size - length, 0), size - 1) if length else None
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start > end or start >= size:
        return None
    return start, end


def serve_wav(
    request,
    storage: Storage,
    name: str,
    *,
    filename: str,
    etag: str | None = None,
    cache_control: str = "private, no-cache",
) -> HttpResponseBase | None:
    """The stored file `name` as `audio/wav`; None when it is not there (the caller says what that is).

    `etag` is quoted (`"AN…-3"`) and must change whenever the content may; by default it is the
    name's stem, for files that are never rewritten in place (a new rendition gets a new name).
    """
    if etag is None:
        etag = f'"{PurePosixPath(name).stem}"'
    headers = {"ETag": etag, "Accept-Ranges": "bytes", "Cache-Control": cache_control}
    wanted = request.headers.get("If-None-Match")
    if wanted and (wanted.strip() == "*" or etag in [tag.strip() for tag in wanted.split(",")]):
        return HttpResponseNotModified(headers=headers)
    try:
        handle = storage.open(name, "rb")
    except OSError:
        return None
    size = handle.size
    span = byte_range(request.headers.get("Range"), size)
    if request.method == "HEAD":
        handle.close()
        return HttpResponse(content_type="audio/wav", headers={**headers, "Content-Length": str(size)})
    if span is not None:
        start, end = span
        with handle:
            handle.seek(start)
            body = handle.read(end - start + 1)
        return HttpResponse(
            body,
            status=206,
            content_type="audio/wav",
            headers={**headers, "Content-Range": f"bytes {start}-{end}/{size}"},
        )
    response = FileResponse(handle, content_type="audio/wav", filename=filename)
    for header, value in headers.items():
        response[header] = value
    return response
