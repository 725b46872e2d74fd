"""The executor's HTTP client: the portal (the only way the executor learns anything), and the RCML
applications numbers point at (their documents, audio and callbacks).

One `aiohttp.ClientSession` per process, with a keep-alive connection pool, shared by every call.
Every request to the portal carries `Authorization: Bearer <EXECUTOR_TOKEN>`; a URL elsewhere (an
application's document, a `Play` of someone else's audio) gets no token, and redirects are followed
by hand so that the token never follows one off the portal. An application's URLs get no token even
when they lead to the portal (`authorized=False`): the token is the executors', not the
application's. Every connection is checked by the fetch policy (telephony.executor.fetch_policy,
RCML_FETCH_ALLOW): off the portal, internal addresses are refused (`FetchRefused`, a
PortalUnavailable).

Errors: `PortalUnavailable` when the portal cannot answer (connection refused, timeout, or
`AnsweredError`: a 5xx, or an answer that makes no sense, like a 401 for a wrong token);
`LookupError` when it answers that the thing asked for does not exist; `ValueError` when it refuses
the request itself (a 400: text it cannot speak, a recording that is not WAV).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import aiohttp
from multidict import CIMultiDictProxy
from yarl import URL

from telephony.executor import fetch_policy
from telephony.rcml import verbs
from telephony.rcml.verbs import MENU_HEADER, REFUSAL_HEADER, SYSTEM_HEADER

logger = logging.getLogger(__name__)

REDIRECTS_MAX = 5
AUDIO_MAX_BYTES = 50 * 1024 * 1024  # a five-minute announcement at 8 kHz is under 5 MB
DOCUMENT_MAX_BYTES = 4 * 1024 * 1024
JSON_MAX_BYTES = 1024 * 1024
UPLOAD_TIMEOUT = 60.0  # seconds for a recording of up to 20 MB
BACKGROUND_GRACE = 5.0  # seconds close() waits for notifications and callbacks still being sent
ENTRY_URL = "/rcml/voice"  # a call's entry document: its answer also names the call's AA system


def shown(url: str | URL) -> str:
    """A URL as logs and errors show it: an entry credential's secret (`user:secret@`) masked."""
    parsed = url if isinstance(url, URL) else URL(str(url))
    return str(parsed.with_password("***")) if parsed.password else str(parsed)


class PortalUnavailable(Exception):
    """Connection refused, timeout, or a 5xx."""


class FetchRefused(PortalUnavailable):
    """The fetch policy refused the address the URL leads to (RCML_FETCH_ALLOW)."""


class AnsweredError(PortalUnavailable):
    """The server answered, with a status that says no (a 5xx, or a 4xx that makes no sense here)."""


@dataclass(frozen=True)
class Application:
    """The RCML application a number points at, as the entry's answer names it (verbs.VOICE_HEADERS)."""

    voice_url: str
    voice_method: str = "POST"
    fallback_url: str = ""
    fallback_method: str = "POST"
    status_callback: str = ""
    status_callback_method: str = "POST"

    @classmethod
    def from_headers(cls, headers: CIMultiDictProxy[str]) -> Application | None:
        names = verbs.VOICE_HEADERS
        url = headers.get(names["voice_url"], "")
        if not url:
            return None
        found = {attribute: headers.get(name, "") for attribute, name in names.items()}
        for method in ("voice_method", "fallback_method", "status_callback_method"):
            found[method] = "GET" if found[method].strip().upper() == "GET" else "POST"
        return cls(**found)


@dataclass(frozen=True)
class RcmlDocument:
    status: int
    body: str
    url: str  # absolute, after redirects
    menu_sid: str | None  # X-AA-Menu: the menu this document plays
    aa_system_sid: str | None = None  # X-AA-System (the entry document): the AA system answering the call
    refusal: str | None = None  # X-AA-Refusal (the entry document): why no AA system takes the call
    account_sid: str | None = None  # X-Account-Sid (the entry document): the call's account
    application: Application | None = None  # the entry's answer for a number routed to an RCML application
    content_type: str = ""
    headers: tuple[tuple[str, str], ...] = ()  # as answered (a notification quotes them)


@dataclass(frozen=True)
class _Reply:
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes
    url: str

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            raise PortalUnavailable(f"{self.url} answered {self.status} with a body that is not JSON") from None

    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def _json_default(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class PortalClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 4.0,
        connect_timeout: float = 2.0,
        pool_size: int = 100,
        post_call_attempts: int = 4,
        post_call_backoff: float = 0.5,
        fetch_allow: str = "",
    ) -> None:
        self.base_url = URL(base_url.rstrip("/") + "/")
        if not self.base_url.is_absolute():
            raise ValueError(f"the portal's URL must be absolute: {base_url!r}")
        self._origin = self.base_url.origin()
        self._token = token
        self._timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=connect_timeout)
        self._upload_timeout = aiohttp.ClientTimeout(total=max(timeout, UPLOAD_TIMEOUT), sock_connect=connect_timeout)
        self._pool_size = pool_size
        self._post_call_attempts = max(1, post_call_attempts)
        self._post_call_backoff = post_call_backoff
        self._session: aiohttp.ClientSession | None = None
        self._background: set[asyncio.Task] = set()
        self.policy = fetch_policy.FetchPolicy.from_setting(fetch_allow, str(self.base_url))

    # Lifecycle.
    async def start(self) -> None:
        if self._session is None or self._session.closed:
            connector = fetch_policy.PolicyConnector(
                self.policy,
                limit=self._pool_size,
                limit_per_host=self._pool_size,
                keepalive_timeout=30,
                ttl_dns_cache=60,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=self._timeout,
                headers={"User-Agent": "aa-executor"},
                raise_for_status=False,
            )

    async def close(self) -> None:
        if self._background:
            await asyncio.wait(list(self._background), timeout=BACKGROUND_GRACE)
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> PortalClient:
        await self.start()
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.close()

    # URLs.
    def absolute(self, url: str) -> str:
        """An RCML URL (action, Redirect, Play) resolved against the portal: `/rcml/…` -> `http://portal/rcml/…`."""
        return str(self.base_url.join(URL(url)))

    def _on_portal(self, url: URL) -> bool:
        return url.is_absolute() and url.origin() == self._origin

    # The one request helper: token on the portal only, redirects by hand, the whole body read.
    async def _request(
        self,
        method: str,
        url: str | URL,
        *,
        params: dict[str, str] | None = None,
        data: Any = None,
        headers: dict[str, str] | None = None,
        timeout: aiohttp.ClientTimeout | None = None,
        max_bytes: int = JSON_MAX_BYTES,
        authorized: bool = True,
    ) -> _Reply:
        if self._session is None:
            await self.start()
        target = URL(self.absolute(str(url))) if isinstance(url, str) else url
        for _ in range(REDIRECTS_MAX + 1):
            sent = dict(headers or {})
            if authorized and self._on_portal(target):
                sent["Authorization"] = f"Bearer {self._token}"
            try:
                async with self._session.request(
                    method,
                    target,
                    params=params,
                    data=data,
                    headers=sent,
                    allow_redirects=False,
                    timeout=timeout or self._timeout,
                ) as response:
                    if response.status in (301, 302, 303, 307, 308) and "Location" in response.headers:
                        target = response.url.join(URL(response.headers["Location"]))
                        params = None  # they are in the URL redirected from; the Location is complete
                        if response.status in (301, 302, 303) and method == "POST":
                            method, data = "GET", None
                        continue
                    body = await self._read(response, max_bytes)
                    return _Reply(response.status, response.headers, body, str(response.url))
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                refused = getattr(exc, "os_error", None) or exc.__cause__
                if isinstance(refused, fetch_policy.FetchRefused):
                    raise FetchRefused(f"{method} {shown(target)}: {refused}") from exc
                raise PortalUnavailable(f"{method} {shown(target)}: {type(exc).__name__}: {exc}") from exc
        raise PortalUnavailable(f"{method} {shown(url)}: more than {REDIRECTS_MAX} redirects")

    @staticmethod
    async def _read(response: aiohttp.ClientResponse, max_bytes: int) -> bytes:
        if response.content_length is not None and response.content_length > max_bytes:
            raise PortalUnavailable(f"{response.url} answered {response.content_length} bytes; at most {max_bytes}")
        chunks, total = [], 0
        async for chunk in response.content.iter_chunked(64 * 1024):
            total += len(chunk)
            if total > max_bytes:
                raise PortalUnavailable(f"{response.url} answered more than {max_bytes} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    @staticmethod
    def _unavailable(reply: _Reply) -> PortalUnavailable:
        return AnsweredError(f"{reply.url} answered {reply.status}: {reply.text()[:200]}")

    # The portal's endpoints.
    async def fetch_rcml(self, url: str, params: dict[str, str], method: str = "POST") -> RcmlDocument:
        """A document, as Restcomm fetches one: POST with the parameters form-encoded, or GET with them
        added to the query. Any status comes back (a 4xx's body is RCML too); a 5xx raises, except a
        503 whose body is RCML (the portal's apology, for a system never published)."""
        document = await self.fetch_document(url, params, method)
        if document.status >= 500 and not (document.status == 503 and document.body.lstrip().startswith("<Response")):
            raise PortalUnavailable(f"{shown(document.url)} answered {document.status}: {document.body[:200]}")
        return document

    async def fetch_document(
        self, url: str, params: dict[str, str], method: str = "POST", *, authorized: bool = True
    ) -> RcmlDocument:
        """A document with whatever status it is answered (an application's documents are judged by
        the call); PortalUnavailable when there is no answer, FetchRefused when the policy refuses.
        `authorized=False` (an application's URL): no token, even to the portal."""
        method = (method or "POST").upper()
        target = URL(self.absolute(url))
        if method == "GET":
            reply = await self._request(
                "GET", target.extend_query(params), max_bytes=DOCUMENT_MAX_BYTES, authorized=authorized
            )
        else:
            reply = await self._request(
                "POST", target, data=dict(params), max_bytes=DOCUMENT_MAX_BYTES, authorized=authorized
            )
        headers = reply.headers
        # A VoiceUrl's credentials (its userinfo) stay on the document's URL, which aiohttp's answer
        # drops: its relative URLs then resolve to URLs that carry them too.
        fetched = URL(reply.url)
        if target.user is not None and (fetched.host, fetched.port) == (target.host, target.port):
            fetched = fetched.with_user(target.user).with_password(target.password)
        return RcmlDocument(
            status=reply.status,
            body=reply.text(),
            url=str(fetched),
            menu_sid=headers.get(MENU_HEADER),
            aa_system_sid=headers.get(SYSTEM_HEADER),
            refusal=headers.get(REFUSAL_HEADER),
            account_sid=headers.get(verbs.ACCOUNT_HEADER),
            application=Application.from_headers(headers),
            content_type=headers.get("Content-Type", ""),
            headers=tuple(headers.items()),
        )

    async def fetch_audio(self, url: str, *, authorized: bool = True) -> bytes:
        """An audio file (an announcement's WAV, a recording); LookupError when there is none."""
        reply = await self._request("GET", url, max_bytes=AUDIO_MAX_BYTES, authorized=authorized)
        if reply.status == 200:
            return reply.body
        if reply.status in (404, 409, 410):  # the API's "not found" and "not ready" are 409s
            raise LookupError(f"{reply.url} answered {reply.status}: {reply.text()[:200]}")
        raise self._unavailable(reply)

    async def speech(self, text: str, voice: str = "woman", language: str = "en") -> bytes:
        """`text` as 8 kHz mono 16-bit WAV; ValueError when the portal cannot speak it (voice, language, length)."""
        reply = await self._request(
            "GET",
            "/rcml/speech",
            params={"text": text, "voice": voice or "woman", "language": language or "en"},
            max_bytes=AUDIO_MAX_BYTES,
            timeout=aiohttp.ClientTimeout(
                total=max(self._timeout.total or 0, 30.0), sock_connect=self._timeout.sock_connect
            ),
        )
        if reply.status == 200:
            return reply.body
        if reply.status == 400:
            raise ValueError(f"the portal cannot speak it: {reply.text()[:300]}")
        raise self._unavailable(reply)

    async def upload_recording(self, call_sid: str, wav: bytes, account_sid: str = "", public: bool = False) -> str:
        """Store a recording on the portal (a Recording of the call's account); its absolute URL (the
        RecordingUrl for the action): the executors' own, or with `public` (for an application, which
        has no executor token) the Restcomm API's, fetched with the account's credentials."""
        reply = await self._request(
            "POST",
            "/rcml/recording",
            params={"CallSid": call_sid, "AccountSid": account_sid},
            data=wav,
            headers={"Content-Type": "audio/wav"},
            timeout=self._upload_timeout,
        )
        if reply.status == 201:
            found = reply.json()
            if public and isinstance(found, dict) and isinstance(found.get("recordingUrl"), str):
                return self.absolute(found["recordingUrl"])
            if isinstance(found, dict) and isinstance(found.get("url"), str):
                return self.absolute(found["url"])
            raise PortalUnavailable(f"{reply.url}: unexpected answer")
        if reply.status in (400, 413):
            raise ValueError(f"the portal refused the recording ({reply.status}): {reply.text()[:300]}")
        raise self._unavailable(reply)

    def notify(self, notification: dict[str, Any]) -> None:
        """Post a notification (a failed fetch, a document that did not parse) in the background: it
        never holds up the call; one that cannot be stored is logged."""
        self._spawn(self._post_notification(notification))

    async def _post_notification(self, notification: dict[str, Any]) -> None:
        what = f"notification {notification.get('errorCode')} of call {notification.get('callSid')}"
        try:
            reply = await self._request(
                "POST",
                "/rcml/notification",
                data=json.dumps(notification, default=_json_default).encode(),
                headers={"Content-Type": "application/json"},
            )
        except PortalUnavailable as exc:
            logger.warning("%s not stored: %s", what, exc)
            return
        if reply.status not in (200, 201):
            logger.warning("%s refused (%d): %s", what, reply.status, reply.text()[:300])

    def callback(self, url: str, params: dict[str, str], method: str = "POST", on_failure=None) -> None:
        """A request whose answer changes nothing (StatusCallback, transcribeCallback), in the
        background, with no token (an application's URL); `on_failure(error)` hears of a failure."""
        self._spawn(self._callback(url, params, method, on_failure))

    async def _callback(self, url: str, params: dict[str, str], method: str, on_failure) -> None:
        try:
            if method.upper() == "GET":
                reply = await self._request("GET", URL(self.absolute(url)).extend_query(params), authorized=False)
            else:
                reply = await self._request("POST", url, data=dict(params), authorized=False)
        except PortalUnavailable as exc:
            problem: Exception = exc
        else:
            if reply.status < 400:
                return
            problem = AnsweredError(f"{reply.url} answered {reply.status}")
        logger.warning("callback %s failed: %s", shown(url), problem)
        if on_failure is not None:
            on_failure(problem)

    def _spawn(self, work) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def post_call(self, record: dict[str, Any]) -> None:
        """Report a call record; retried with backoff while the portal is unavailable, then given up
        (logged): a call record never holds up, or fails, a call. Datetimes are sent as ISO 8601."""
        await self._post_records(record, f"call record {record.get('callSid')}")

    async def post_calls(self, records: list[dict[str, Any]]) -> None:
        """Several call records in one request (a JSON list), as post_call does one."""
        await self._post_records(records, f"{len(records)} call records")

    async def _post_records(self, payload: dict[str, Any] | list[dict[str, Any]], what: str) -> None:
        try:
            body = json.dumps(payload, default=_json_default).encode()
        except (TypeError, ValueError) as exc:
            logger.error("%s cannot be sent: %s", what, exc)
            return
        delay = self._post_call_backoff
        for attempt in range(1, self._post_call_attempts + 1):
            try:
                reply = await self._request(
                    "POST", "/rcml/call", data=body, headers={"Content-Type": "application/json"}
                )
            except PortalUnavailable as exc:
                problem = str(exc)
            else:
                if reply.status in (200, 201):
                    return
                if 400 <= reply.status < 500 and reply.status not in (408, 429):
                    logger.error("%s refused (%d): %s", what, reply.status, reply.text()[:500])
                    return
                problem = f"{reply.status}: {reply.text()[:200]}"
            if attempt < self._post_call_attempts:
                await asyncio.sleep(delay * (1 + random.random() / 4))
                delay *= 2
        logger.warning("%s not stored after %d attempts: %s", what, self._post_call_attempts, problem)

    async def heartbeat(self, payload: dict[str, Any]) -> bool:
        """Tell the portal this executor is there (`POST /rcml/executor`): its name, its control
        endpoint's URL and its calls with their status. False (logged at debug) when the portal
        did not take it: the next heartbeat tries again."""
        try:
            reply = await self._request(
                "POST", "/rcml/executor", data=json.dumps(payload), headers={"Content-Type": "application/json"}
            )
        except PortalUnavailable as exc:
            logger.debug("heartbeat not sent: %s", exc)
            return False
        if reply.status != 200:  # 503: the portal's Redis is away, which the portal logs itself
            level = logging.DEBUG if reply.status == 503 else logging.WARNING
            logger.log(level, "heartbeat refused (%d): %s", reply.status, reply.text()[:300])
            return False
        return True
