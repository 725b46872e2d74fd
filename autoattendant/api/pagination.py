"""The reference's paging: page from 0, pageSize 10 by default, and the page's URIs in `data`."""

from __future__ import annotations

import math
from urllib.parse import urlencode

from django.db.models import Count, Window
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response

from autoattendant.api.responses import ok

MAX_PAGE_SIZE = 1000
MAX_PAGE = 10**9  # page x pageSize stays a PostgreSQL bigint OFFSET


def _paging_number(params, name: str, default: int, minimum: int, maximum: int | None = None) -> int:
    """A paging parameter as an integer in range, or a 400 naming it (no serializer: this is per request)."""
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise ValidationError({name: ["A valid integer is required."]}) from None
    if value < minimum:
        raise ValidationError({name: [f"Ensure this value is greater than or equal to {minimum}."]})
    if maximum is not None and value > maximum:
        raise ValidationError({name: [f"Ensure this value is less than or equal to {maximum}."]})
    return value


class ReferencePagination(BasePagination):
    def paginate_queryset(self, queryset, request, view=None):
        if not queryset.ordered:
            # An unordered page is a different page on every request.
            raise RuntimeError(f"{view.__class__.__name__} paginates an unordered queryset")
        self.page = _paging_number(request.query_params, "page", 0, minimum=0, maximum=MAX_PAGE)
        self.page_size = _paging_number(request.query_params, "pageSize", 10, minimum=1, maximum=MAX_PAGE_SIZE)
        self.request = request
        self.start = self.page * self.page_size
        if queryset.query.distinct:
            # COUNT(*) OVER () would count the rows before DISTINCT removes duplicates.
            self.total = queryset.count()
            return list(queryset[self.start : self.start + self.page_size]) if self.start < self.total else []
        # One round trip for the page and the total; a separate count only for a page past the end.
        rows = list(queryset.annotate(paging_total=Window(Count("*")))[self.start : self.start + self.page_size])
        if rows:
            self.total = rows[0].paging_total
        else:
            self.total = queryset.count() if self.start else 0
        return rows

    def _uri(self, page: int) -> str:
        path = self.request.path.rstrip("/") + "/"
        params = [("pageSize", self.page_size), ("page", page)]
        params += [(k, v) for k, v in self.request.query_params.items() if k not in ("page", "pageSize")]
        return f"{path}?{urlencode(params)}"

    def get_paginated_response(self, data) -> Response:
        num_pages = math.ceil(self.total / self.page_size)
        body = {
            "result": data,
            "pageSize": self.page_size,
            "total": self.total,
            "page": self.page,
            "numPages": num_pages,
            "start": self.start,
            "end": self.start + len(data) - 1 if data else self.start,
            "firstPageUri": self._uri(0),
        }
        if self.page + 1 < num_pages:
            body["nextPageUri"] = self._uri(self.page + 1)
        if 0 < self.page <= num_pages:
            body["previousPageUri"] = self._uri(self.page - 1)
        body["lastPageUri"] = self._uri(max(num_pages - 1, 0))
        body["uri"] = self._uri(self.page)
        return ok(body)
