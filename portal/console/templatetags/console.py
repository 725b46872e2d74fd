"""Template helpers for the console: links that keep the list's query, sortable headers, the nav."""

from __future__ import annotations

import functools

from django import template
from django.apps import apps
from django.urls import reverse
from django.utils.html import format_html

register = template.Library()


@register.simple_tag(takes_context=True)
def query_string(context, **changes) -> str:
    """The current query string with some parameters replaced (None or "" removes one)."""
    query = context["request"].GET.copy()
    for name, value in changes.items():
        if value in (None, ""):
            query.pop(name, None)
        else:
            query[name] = value
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag(takes_context=True)
def sort_header(context, field: str, label: str) -> str:
    """A column header that sorts the list by `field`, descending on a second click."""
    current = context.get("sort", "")
    if current == field:
        next_sort, state = f"-{field}", "ascending"
    elif current == f"-{field}":
        next_sort, state = field, "descending"
    else:
        next_sort, state = field, "none"
    href = query_string(context, sort=next_sort, page=None)
    arrow = {"ascending": " ▲", "descending": " ▼", "none": ""}[state]
    return format_html('<th scope="col" aria-sort="{}"><a href="{}">{}{}</a></th>', state, href, label, arrow)


@register.simple_tag(takes_context=True)
def nav_link(context, url_name: str, label: str, *args) -> str:
    """A navigation link, marked as the current page when the path is under it."""
    href = reverse(url_name, args=args)
    path = context["request"].path
    dashboard = reverse("console:dashboard")
    current = path == href if href == dashboard else path.startswith(href)
    if current:
        return format_html('<a href="{}" aria-current="page">{}</a>', href, label)
    return format_html('<a href="{}">{}</a>', href, label)


@functools.cache
def _model_words() -> dict[str, str]:
    return {str(model._meta.model_name): str(model._meta.verbose_name) for model in apps.get_models()}


@register.filter
def object_words(object_type: str) -> str:
    """An audit entry's object type as people say it: hmackey -> "HMAC key"."""
    words = _model_words().get(object_type, object_type)
    return {"hmac key": "HMAC key", "sso": "single sign-on"}.get(words, words)


@register.filter
def code_words(code: str) -> str:
    """A stored code as a label: IN_PROGRESS -> "In progress", CALLER_HANGUP -> "Caller hangup"."""
    return code.replace("_", " ").capitalize()
