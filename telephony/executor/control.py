"""The executor's control endpoint: the portal places, redirects and ends calls here (the Restcomm
Calls API), wherever the call runs. A small aiohttp server on the executor's SIP address and
EXECUTOR_CONTROL_PORT; every request carries `Authorization: Bearer $EXECUTOR_TOKEN` (401 otherwise).
JSON in and out, errors `{"error": "…"}`.

    POST /calls          {"callSid", "accountSid", "from", "to", "url", "method", "fallbackUrl",
                          "fallbackMethod", "statusCallback", "statusCallbackMethod", "timeout"}
                         -> 201 {"sid", "status": "queued"}; 503 while draining
    GET  /calls/<sid>    -> 200 {"sid", "status"}; 404 when the call is not here
    POST /calls/<sid>    {"url", "method"} redirects it; {"status": "completed"|"canceled"} ends it
                         -> 200 {"sid", "status"}; 404 not here; 409 canceling a call in progress
"""

from __future__ import annotations

import hmac
import logging
from typing import TYPE_CHECKING, Any

from aiohttp import web

from telephony.executor.live import CANCELED, COMPLETED, NotCancelable, OutboundApiCall, PlaceRequest

if TYPE_CHECKING:
    from telephony.executor.server import ExecutorProcess

logger = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
METHODS = ("GET", "POST")


def _error(status: int, message: str) -> web.Response:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return web.json_response({"error": message}, status=status, headers=headers)


class ControlServer:
    def __init__(self, executor: ExecutorProcess, host: str, port: int, token: str):
        self.executor = executor
        self.host, self.port = host, port
        self._token = token
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application(client_max_size=MAX_BODY, middlewares=[self._authorized])
        app.router.add_post("/calls", self.place)
        app.router.add_get("/calls/{sid}", self.read)
        app.router.add_post("/calls/{sid}", self.modify)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @web.middleware
    async def _authorized(self, request: web.Request, handler) -> web.StreamResponse:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), self._token.encode()):
            return _error(401, "unauthorized")
        return await handler(request)

    @staticmethod
    async def _body(request: web.Request) -> dict[str, Any] | None:
        try:
            body = await request.json()
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    async def place(self, request: web.Request) -> web.Response:
        if self.executor.draining:
            return _error(503, "draining: this executor takes no new calls")
        body = await self._body(request)
        if body is None:
            return _error(400, "a JSON object is expected")
        text = {name: str(body.get(name) or "").strip() for name in ("callSid", "accountSid", "from", "to", "url")}
        missing = [name for name in ("callSid", "to", "url") if not text[name]]
        if missing:
            return _error(400, f"required: {', '.join(missing)}")
        if text["callSid"] in self.executor.live:
            return _error(409, f"call {text['callSid']} exists already")

        def method(name: str) -> str:
            value = str(body.get(name) or "POST").upper()
            return value if value in METHODS else "POST"

        try:
            timeout = min(max(float(body.get("timeout") or 60), 1.0), 600.0)
        except (TypeError, ValueError):
            return _error(400, "timeout: a number of seconds is expected")
        call = OutboundApiCall(
            self.executor,
            PlaceRequest(
                call_sid=text["callSid"],
                account_sid=text["accountSid"],
                caller=text["from"],
                called=text["to"],
                url=text["url"],
                method=method("method"),
                fallback_url=str(body.get("fallbackUrl") or "").strip(),
                fallback_method=method("fallbackMethod"),
                status_callback=str(body.get("statusCallback") or "").strip(),
                status_callback_method=method("statusCallbackMethod"),
                timeout=timeout,
            ),
        )
        self.executor.start_call(call)
        logger.info("call %s: placing it to %s (from %s)", call.sid, call.request.called, call.request.caller)
        return web.json_response({"sid": call.sid, "status": call.status}, status=201)

    async def read(self, request: web.Request) -> web.Response:
        call = self.executor.live.get(request.match_info["sid"])
        if call is None:
            return _error(404, "no such call here")
        return web.json_response({"sid": call.sid, "status": call.status})

    async def modify(self, request: web.Request) -> web.Response:
        call = self.executor.live.get(request.match_info["sid"])
        if call is None:
            return _error(404, "no such call here")
        body = await self._body(request)
        if body is None:
            return _error(400, "a JSON object is expected")
        status = str(body.get("status") or "").strip().lower()
        url = str(body.get("url") or "").strip()
        if status:
            if status not in (COMPLETED, CANCELED):
                return _error(400, "status: completed or canceled")
            try:
                call.end(status)
            except NotCancelable as exc:
                return _error(409, str(exc))
        elif url:
            call.redirect(url, str(body.get("method") or "POST"))
        else:
            return _error(400, "url or status is required")
        return web.json_response({"sid": call.sid, "status": status or call.status})
