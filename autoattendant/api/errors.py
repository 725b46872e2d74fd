"""One place renders every error of the /autoattendant API in the reference's envelope."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, JsonResponse, QueryDict
from django.views import csrf, defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.response import Response

from autoattendant.errors import VALIDATION_FAILED, AAError, Code, ErrorCode

logger = logging.getLogger(__name__)

API_PREFIX = "/autoattendant"


def envelope(
    error_code: ErrorCode, *, message: str | None = None, data: Any = None, errors: dict | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "errorCode": str(error_code.code),
        "message": message or error_code.message,
        "data": data if data is not None else {},
    }
    if errors:
        body["errors"] = errors
    return body


def _request_data(context: dict) -> Any:
    request = context.get("request")
    try:
        data = request.data if request is not None else None
    except Exception:  # the body itself was unreadable; echo nothing rather than fail again
        return {}
    if isinstance(data, QueryDict):
        data = data.dict()
    return data if data not in (None, "") else {}


def field_errors(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        return {str(key): _messages(value) for key, value in detail.items()}
    return {"non_field_errors": _messages(detail)}


def _messages(value: Any) -> list[str]:
    if isinstance(value, list):
        out: list[str] = []
        for item in value:
            out.extend(_messages(item) if isinstance(item, list | dict) else [str(item)])
        return out
    if isinstance(value, dict):
        return [f"{key}: {message}" for key, item in value.items() for message in _messages(item)]
    return [str(value)]


def _view_data(exc: AAError, context: dict) -> Any:
    if exc.data is not None:
        return exc.data
    view = context.get("view")
    sid = getattr(view, "kwargs", {}).get("sid") if view is not None else None
    request = context.get("request")
    if request is not None and request.method in ("POST", "PUT", "PATCH"):
        return _request_data(context)
    return {"sid": sid} if sid else {}


def envelope_exception_handler(exc: Exception, context: dict) -> Response:
    """DRF's EXCEPTION_HANDLER: every exception a view raises becomes an enveloped response."""
    headers: dict[str, str] = {}
    if isinstance(exc, AAError):
        code = exc.error_code
        body = envelope(code, message=exc.message, data=_view_data(exc, context), errors=exc.errors)
        return Response(body, status=code.http_status)
    if isinstance(exc, SuspiciousOperation):
        # A body too large or with too many fields to parse (as Django answers them outside DRF: 400).
        return Response(envelope(Code.BAD_REQUEST, message=str(exc) or None), status=400)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    if isinstance(exc, exceptions.ValidationError):
        body = envelope(
            Code.BAD_REQUEST, message=VALIDATION_FAILED, data=_request_data(context), errors=field_errors(exc.detail)
        )
        return Response(body, status=400)
    if isinstance(exc, exceptions.ParseError):
        body = envelope(Code.BAD_REQUEST, message=f"Malformed request: {exc.detail}")
        return Response(body, status=400)
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        headers["WWW-Authenticate"] = 'Basic realm="autoattendant"'
        detail = str(exc.detail) if isinstance(exc, exceptions.AuthenticationFailed) else None
        return Response(envelope(Code.UNAUTHENTICATED, message=detail), status=401, headers=headers)
    if isinstance(exc, exceptions.PermissionDenied):
        return Response(envelope(Code.FORBIDDEN), status=403)
    if isinstance(exc, exceptions.NotFound):
        return Response(envelope(Code.NO_SUCH_ROUTE), status=404)
    if isinstance(exc, exceptions.MethodNotAllowed):
        return Response(envelope(Code.METHOD_NOT_ALLOWED, message=str(exc.detail)), status=405)
    if isinstance(exc, exceptions.NotAcceptable):
        return Response(envelope(Code.NOT_ACCEPTABLE), status=406)
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return Response(envelope(Code.UNSUPPORTED_MEDIA_TYPE, message=str(exc.detail)), status=415)
    if isinstance(exc, exceptions.Throttled):
        wait = getattr(exc, "wait", None)  # set by DRF's Throttled, not declared on it
        if wait is not None:
            headers["Retry-After"] = str(int(wait) + 1)
        return Response(envelope(Code.THROTTLED), status=429, headers=headers)
    if isinstance(exc, exceptions.APIException):
        status = exc.status_code
        code = Code.INTERNAL if status >= 500 else Code.BAD_REQUEST
        return Response(envelope(code, message=str(exc.detail)), status=code.http_status)
    logger.exception("Unhandled error in %s", getattr(context.get("request"), "path", "?"), exc_info=exc)
    return Response(envelope(Code.INTERNAL), status=500)


def error_response(error_code: ErrorCode, **kwargs) -> JsonResponse:
    return JsonResponse(
        envelope(error_code, **kwargs), status=error_code.http_status, json_dumps_params={"separators": (",", ":")}
    )


# Django's own handlers, for errors outside any DRF view (unknown routes, middleware failures).
# Pages outside the API (the console) keep Django's HTML error pages.
def _is_api(request) -> bool:
    return request.path.startswith(API_PREFIX) or request.path.startswith("/healthz")


def handler404(request, exception=None):
    if _is_api(request):
        return error_response(Code.NO_SUCH_ROUTE)
    return defaults.page_not_found(request, exception)


def handler500(request):
    if _is_api(request):
        return error_response(Code.INTERNAL)
    return defaults.server_error(request)


def handler403(request, exception=None):
    if _is_api(request):
        return error_response(Code.FORBIDDEN)
    return defaults.permission_denied(request, exception)


def handler400(request, exception=None):
    if _is_api(request):
        return error_response(Code.BAD_REQUEST)
    return defaults.bad_request(request, exception)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: a request under /autoattendant refused by the CSRF check (a cookie-session
    POST without its token) gets the envelope; the console keeps its "Form expired" page."""
    if _is_api(request):
        return error_response(Code.FORBIDDEN, message=f"CSRF check failed: {reason}" if reason else None)
    return csrf.csrf_failure(request, reason)


@csrf_exempt  # it changes nothing: a POST or DELETE to an unknown route is a 404, never a CSRF failure
def unknown_route(request, *args, **kwargs):
    return error_response(Code.NO_SUCH_ROUTE)
