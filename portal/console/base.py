"""What every console page shares: sign-in and role checks, tenant-scoped lists, service errors on forms."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import F, Q, QuerySet
from django.db.models.expressions import Expression
from django.http import Http404
from django.views.generic import ListView

from autoattendant.choices import Role
from autoattendant.errors import AAError, Code, ErrorCode

# Codes that mean "not yours or not there": a console page answers them with its 404 page.
NOT_FOUND_CODES = {
    Code.HMAC_KEY_NOT_FOUND,
    Code.ENTERPRISE_NOT_FOUND,
    Code.USER_NOT_FOUND,
    Code.SYSTEM_NOT_FOUND,
    Code.PHONE_NUMBER_NOT_FOUND,
    Code.ANNOUNCEMENT_NOT_FOUND,
    Code.MENU_NOT_FOUND,
    Code.SCHEDULE_NOT_FOUND,
    Code.CALL_RECORD_NOT_FOUND,
    Code.VOICEMAIL_NOT_FOUND,
}


class ConsoleMixin(LoginRequiredMixin):
    """A signed-in user; `roles`, when given, are the only roles that may open the page."""

    roles: frozenset[Role] = frozenset()

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and self.roles and request.user.role not in self.roles:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def fetch(access: Callable, user, sid: str, **kwargs):
    """A service's scoped fetch-by-SID; another tenant's object, like a missing one, is the 404 page."""
    try:
        return access(user, sid, **kwargs)
    except AAError as exc:
        if exc.error_code in NOT_FOUND_CODES:
            raise Http404(exc.message) from None
        raise


def coded(exc: AAError) -> str:
    """A service error as the console shows it: the API's message and its code."""
    return f"{exc.message} ({exc.error_code.code})"


def add_service_error(
    form: forms.Form,
    exc: AAError,
    fields: dict[ErrorCode, str] | None = None,
    names: dict[str, str] | None = None,
) -> None:
    """Put a service's AAError next to the form field it concerns.

    `fields` maps an error code to the form field it is about (460 -> "name"); `names` maps the API's
    field names in `exc.errors` to form fields ("emailId" -> "admin_email"). Anything else is a
    form-wide error shown at the top of the form.
    """
    fields = fields or {}
    names = names or {}
    if exc.error_code == Code.FORBIDDEN:
        raise PermissionDenied
    placed = False
    for api_name, texts in (exc.errors or {}).items():
        field = names.get(api_name, api_name)
        target = field if field in form.fields else None
        for message in texts if isinstance(texts, list | tuple) else [texts]:
            form.add_error(target, f"{message} ({exc.error_code.code})")
        placed = True
    if not placed:
        field = fields.get(exc.error_code)
        form.add_error(field if field in form.fields else None, coded(exc))


def refused(request, what: str, exc: AAError, hint: str = "") -> None:
    """A refused change as a flash message: the API's message and code, where the thing is still used
    (the services' `usedBy`), and what to do about it."""
    if exc.error_code == Code.FORBIDDEN:
        raise PermissionDenied
    used_by = "; ".join((exc.errors or {}).get("usedBy", []))
    where = f": used by {used_by}" if used_by else ""
    messages.error(request, f"{what}: {coded(exc)}{where}.{' ' + hint if hint else ''}")


def call_service(form: forms.Form, service: Callable, *args, fields=None, names=None, **kwargs) -> Any:
    """Run a service for a valid form; on an AAError, show it on the form and return None."""
    try:
        return service(*args, **kwargs)
    except AAError as exc:
        add_service_error(form, exc, fields, names)
        return None


class ConsoleListView(ConsoleMixin, ListView):
    """A tenant-scoped, searchable, sortable, paged list.

    The queryset is `model.objects.visible_to(user)` before anything else. `search_fields` are matched
    with `?q=` (icontains); `sort_fields` maps the `?sort=` values offered to order_by expressions
    (`?sort=-name` sorts descending); `default_sort` is used otherwise.
    """

    paginate_by = 25
    search_fields: Iterable[str] = ()
    sort_fields: dict[str, str | Expression] = {}  # e.g. {"name": Lower("name"), "created": "date_created"}
    default_sort: str = ""

    def scoped_queryset(self) -> QuerySet:
        return self.model.objects.visible_to(self.request.user)

    def get_queryset(self) -> QuerySet:
        queryset = self.scoped_queryset()
        query = self.request.GET.get("q", "").strip()
        if query and self.search_fields:
            condition = Q()
            for field in self.search_fields:
                condition |= Q(**{f"{field}__icontains": query})
            queryset = queryset.filter(condition)
        return queryset.order_by(*self.ordering_for(self.current_sort()), "id")

    def current_sort(self) -> str:
        wanted = self.request.GET.get("sort", "")
        return wanted if wanted.lstrip("-") in self.sort_fields else self.default_sort

    def ordering_for(self, sort: str) -> list[str]:
        if not sort:
            return []
        expression = self.sort_fields[sort.lstrip("-")]
        if isinstance(expression, str):
            expression = F(expression)
        return [expression.desc() if sort.startswith("-") else expression.asc()]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["q"] = self.request.GET.get("q", "")
        context["sort"] = self.current_sort()
        return context
