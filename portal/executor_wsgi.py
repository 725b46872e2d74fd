"""The executor's endpoints (`/rcml/…`) served by a handler of their own, without the console's middleware.

The executor asks the portal for every call step, machine to machine, with the bearer token that each
of these views checks itself (telephony.rcml.views.executor_authorized). Sessions, CSRF, signed-in
users, flash messages, htmx, Content-Security-Policy and no-store mean nothing to it, and they were
about a third of a call step's CPU. portal.wsgi sends every path under EXECUTOR_PREFIX here: no
middleware at all, and this module as the URLconf (only telephony.rcml.urls, resolved first). The
console, the API and /healthz keep Django's whole handler (settings.MIDDLEWARE, portal.urls).

The answers are the views' own, the same whichever handler serves them, except the headers the
middleware adds for browsers (CSP, nosniff, Referrer-Policy, X-Frame-Options). A path under /rcml/
that names no endpoint is answered 404 by the same handler404 as the portal's.
"""

from __future__ import annotations

from typing import Any

from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest, HttpResponseBase
from django.urls import include, path, set_urlconf

from autoattendant.api import errors

EXECUTOR_PREFIX = "/rcml/"

urlpatterns = [path("", include("telephony.rcml.urls"))]


def _portal_page(handler):
    """The portal's error answer, rendered with the portal's URLconf (its pages link to the console)."""

    def answer(request, *args, **kwargs):
        set_urlconf(None)
        return handler(request, *args, **kwargs)

    return answer


handler400 = _portal_page(errors.handler400)
handler403 = _portal_page(errors.handler403)
handler404 = _portal_page(errors.handler404)
handler500 = _portal_page(errors.handler500)


class ExecutorHandler(WSGIHandler):
    """Django's WSGI handler (request signals, database connections, exception answers) with an
    empty middleware chain and this module's URLconf."""

    def load_middleware(self, is_async: bool = False) -> None:
        self._view_middleware: list[Any] = []
        self._template_response_middleware: list[Any] = []
        self._exception_middleware: list[Any] = []
        self._middleware_chain = convert_exception_to_response(self._get_response)  # type: ignore[attr-defined]

    def get_response(self, request: HttpRequest) -> HttpResponseBase:
        request.urlconf = __name__  # type: ignore[attr-defined]
        response = super().get_response(request)
        if not response.streaming and not response.has_header("Content-Length"):
            # As CommonMiddleware does on the portal's side: the server then sends the answer as it is,
            # not in chunks, and the executor's keep-alive connection knows where it ends.
            response.headers["Content-Length"] = str(len(response.content))  # type: ignore[attr-defined]
        return response
