"""What every Restcomm API resource shares: accounts signing in, JSON or XML, paging, errors.

A resource is a `RestcommView` answering with `item` or `page`; `resource()` names its URL with and
without `.json` (and with a trailing slash, as the reference's `Accounts/` and `Clients/`).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlencode

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, path
from rest_framework import authentication, exceptions, parsers, permissions, throttling
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from autoattendant.errors import AAError
from autoattendant.services import sign_in_guard
from autoattendant.services.sign_in_guard import Attempt, Door
from telephony import accounts
from telephony.accounts import AccountRuleError
from telephony.models import AccountStatus, TelephonyAccount
from telephony.restcomm import render
from telephony.restcomm.errors import RestcommError
from telephony.restcomm.openapi import RestcommAutoSchema

API_VERSION = "2012-04-24"
PREFIX = f"/restcomm/{API_VERSION}"
PAGE_SIZE = 50
PAGE_SIZE_MAX = 1000
XML = "application/xml; charset=utf-8"
JSON = "application/json"
REALM = 'Basic realm="Restcomm"'


def resource(route: str, view: Callable, name: str) -> list[URLPattern]:
    """`route` (Django path syntax, no leading slash) as JSON with `.json`, XML without."""
    return [
        path(f"{route}.json", view, {"format": "json"}, name=f"{name}-json"),
        path(f"{route}/", view, name=f"{name}-slash"),
        path(route, view, name=name),
    ]


class AccountAuthentication(authentication.BaseAuthentication):
    """HTTP Basic with an account's SID or email and its AuthToken (or password), under the same
    sign-in guard as the CSP API: too many failures from an address get 429 before any check."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != b"basic":
            return None
        try:
            name, _, secret = base64.b64decode(header[1]).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError, IndexError):
            name = secret = ""
        attempt = Attempt(Door.RESTCOMM, sign_in_guard.source_address(request.META), account=name[:64], name=name[:254])
        seconds = sign_in_guard.wait(attempt)
        if seconds:
            raise exceptions.Throttled(wait=seconds)
        account = accounts.authenticate(name, secret) if name and secret else None
        if account is None or account.status != AccountStatus.ACTIVE:
            seconds = sign_in_guard.failed(attempt, "wrong credentials" if account is None else "account not active")
            if seconds:
                raise exceptions.Throttled(wait=seconds)
            raise exceptions.AuthenticationFailed("Invalid credentials" if account is None else "Account is not active")
        return account, None

    def authenticate_header(self, request):
        return REALM


class SignedInAccount(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return isinstance(request.user, TelephonyAccount)


class AccountRateThrottle(throttling.SimpleRateThrottle):
    """The CSP API's per-user rate, per account."""

    scope = "user"

    def get_cache_key(self, request, view):
        if not isinstance(request.user, TelephonyAccount):
            return self.cache_format % {"scope": "anon", "ident": self.get_ident(request)}
        return self.cache_format % {"scope": "restcomm", "ident": request.user.pk}


def _wants_json(request: HttpRequest, kwargs: dict[str, Any]) -> bool:
    return kwargs.get("format") == "json" or request.path.endswith(".json")


def _answer(body: str, wants_json: bool, status: int) -> HttpResponse:
    return HttpResponse(body, status=status, content_type=JSON if wants_json else XML)


def error_response(error: RestcommError, wants_json: bool) -> HttpResponse:
    if wants_json:
        body = render.json_document(error.representation())
    else:
        body = render.xml_document("RestException", error.representation())
    response = _answer(body, wants_json, error.status)
    if error.status == 401:
        response["WWW-Authenticate"] = REALM
    return response


def _as_restcomm_error(exc: Exception) -> RestcommError | None:
    if isinstance(exc, RestcommError):
        return exc
    if isinstance(exc, AccountRuleError):
        return RestcommError(exc.status, exc.message)
    if isinstance(exc, AAError):
        return RestcommError(exc.error_code.http_status, exc.describe(), code=exc.error_code.code)
    if isinstance(exc, Http404):
        return RestcommError(404, "The requested resource was not found")
    if isinstance(exc, exceptions.Throttled):
        return RestcommError(429, f"Too many requests; retry in {getattr(exc, 'wait', None) or 1:.0f} seconds")
    if isinstance(exc, exceptions.APIException):
        status = exc.status_code
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            status = 401
        return RestcommError(status, str(exc.detail))
    return None


def exception_handler(exc: Exception, context: dict[str, Any]) -> HttpResponse | None:
    error = _as_restcomm_error(exc)
    if error is None:
        return None
    request = context["request"]
    response = error_response(error, _wants_json(request, context.get("kwargs") or {}))
    wait = getattr(exc, "wait", None) if isinstance(exc, exceptions.Throttled) else None
    if wait:
        response["Retry-After"] = str(math.ceil(wait))
    return response


def after(order: tuple[str, ...], row: Any) -> Q:
    """The rows after `row` in `order` (field names, `-` for descending): a lexicographic filter."""
    condition = Q()
    equal = Q()
    for name in order:
        field = name.lstrip("-")
        value = getattr(row, field)
        step = Q(**{f"{field}__lt" if name.startswith("-") else f"{field}__gt": value})
        condition |= equal & step
        equal &= Q(**{field: value})
    return condition


class RestcommView(APIView):
    """A Restcomm resource: `self.account` signed in; answers with `item` or `page`."""

    authentication_classes = [AccountAuthentication]
    permission_classes = [SignedInAccount]
    throttle_classes = [AccountRateThrottle]
    parser_classes = [parsers.FormParser, parsers.MultiPartParser, parsers.JSONParser]
    renderer_classes = [JSONRenderer]
    schema = RestcommAutoSchema()
    # What the OpenAPI document says of the view (telephony.restcomm.openapi).
    form_fields: dict[str, list[tuple[str, str, bool]]] = {}
    query_fields: dict[str, list[tuple[str, str]]] = {}
    paged = False
    creates = False

    def get_exception_handler(self):
        return exception_handler

    def perform_content_negotiation(self, request, force=False):
        # The suffix decides (XML unless `.json`); the Accept header does not.
        return (JSONRenderer(), JSON)

    @property
    def account(self) -> TelephonyAccount:
        account = self.request.user
        assert isinstance(account, TelephonyAccount)  # SignedInAccount let the request in
        return account

    @property
    def wants_json(self) -> bool:
        return _wants_json(self.request, self.kwargs)

    def target(self, account_sid: str) -> TelephonyAccount:
        """The URL's account: the signed-in one or one below it; any other is answered as missing."""
        found = accounts.find(self.account, account_sid)
        if found is None:
            raise RestcommError(404, f"The account {account_sid} was not found")
        return found

    def one(self, queryset: QuerySet, what: str, sid: str, field: str = "sid") -> Any:
        """The row of `queryset` (already scoped to the account) named `sid`; else a 404 naming it."""
        found = queryset.filter(**{field: sid}).first() if "\x00" not in sid else None  # PostgreSQL holds no NUL
        if found is None:
            raise RestcommError(404, f"The {what} {sid} was not found")
        return found

    def params(self) -> dict[str, str]:
        """The request's parameters as sent: the form (POST/PUT) over the query string."""
        values = {key: self.request.query_params.get(key, "") for key in self.request.query_params}
        data = self.request.data
        if hasattr(data, "keys"):
            for key in data.keys():
                value = data.get(key)
                values[key] = "" if value is None else str(value)
        return values

    def uri(self, *parts: str) -> str:
        """A resource's Uri: `/restcomm/2012-04-24/Accounts/AC…/Clients/CL…` (`.json` in JSON)."""
        return f"{PREFIX}/{'/'.join(parts)}{'.json' if self.wants_json else ''}"

    def sub_uri(self, *parts: str) -> str:
        """A subresource's Uri (never with `.json`), as the reference's SubresourceUris."""
        return f"{PREFIX}/{'/'.join(parts)}"

    def item(self, element: str, representation: dict[str, Any], status: int = 200) -> HttpResponse:
        if self.wants_json:
            return _answer(render.json_document(representation), True, status)
        return _answer(render.xml_document(element, representation), False, status)

    def deleted(self) -> HttpResponse:
        return HttpResponse(status=204)

    def page(
        self,
        plural: str,
        element: str,
        queryset: QuerySet | None,
        represent: Callable[[Any], dict[str, Any]],
        order: tuple[str, ...] = ("date_created", "id"),
        sid_field: str = "sid",
    ) -> HttpResponse:
        """One page of a list, as the reference pages Calls: `Page` (from 0), `PageSize` (50, at most
        1000), `AfterSid` (the rows after that one: the next page's link carries it). None: an empty list."""
        query = self.request.query_params
        try:
            number = max(0, int(query.get("Page") or 0))
            size = min(PAGE_SIZE_MAX, max(1, int(query.get("PageSize") or PAGE_SIZE)))
        except ValueError:
            raise RestcommError(400, "Page and PageSize must be whole numbers") from None
        start = number * size
        rows: list[Any] = []
        total = 0
        if queryset is not None:
            queryset = queryset.order_by(*order)
            total = queryset.count()
            after_sid = query.get("AfterSid") or ""
            anchor = queryset.filter(**{sid_field: after_sid}).first() if after_sid else None
            chosen = (
                queryset.filter(after(order, anchor))[:size] if anchor is not None else queryset[start : start + size]
            )
            rows = list(chosen)
        pages = math.ceil(total / size) if total else 0
        base = self.request.path
        filters = {key: value for key, value in query.items() if key not in ("Page", "PageSize", "AfterSid")}

        def link(page_number: int, **extra: str) -> str:
            return f"{base}?{urlencode({**filters, 'Page': page_number, 'PageSize': size, **extra})}"

        last_page = max(pages - 1, 0)
        attributes: dict[str, Any] = {
            "page": number,
            "numpages": pages,
            "pagesize": size,
            "total": total,
            "start": start,
            "end": start + max(len(rows) - 1, 0),
            "uri": base,
            "firstpageuri": link(0),
            "previouspageuri": link(number - 1) if number > 0 else None,
            "nextpageuri": link(number + 1, AfterSid=getattr(rows[-1], sid_field))
            if number < last_page and rows
            else None,
            "lastpageuri": link(last_page),
        }
        items = [represent(row) for row in rows]
        if self.wants_json:
            names = {"numpages": "num_pages", "pagesize": "page_size"}
            body: dict[str, Any] = {
                names.get(key, key.replace("pageuri", "_page_uri")): value for key, value in attributes.items()
            }
            body[render.snake(plural)] = render.json_value(items)
            return _answer(json.dumps(body), True, 200)
        return _answer(render.xml_list(plural, element, attributes, items), False, 200)


def account_uri_parts(account: TelephonyAccount, *rest: str) -> tuple[str, ...]:
    return ("Accounts", account.sid, *rest)


def choose(value: str, allowed: Iterable[str], name: str, default: str) -> str:
    """A parameter that must be one of `allowed` (case ignored), or its default when empty."""
    if not value:
        return default
    for option in allowed:
        if value.upper() == option.upper():
            return option
    raise RestcommError(400, f"{name} must be one of {', '.join(allowed)}")
