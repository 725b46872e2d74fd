"""OpenAPI for the /autoattendant API: every response wrapped in its envelope, every coded error listed.

drf-spectacular generates the schema from the viewsets; this schema class adds what the reference
conventions add around each serializer, from the same declarations the views use (`error_codes`).
"""

from __future__ import annotations

from collections import defaultdict

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter

from autoattendant.errors import Code

COMMON_ERRORS = [
    Code.BAD_REQUEST,
    Code.UNAUTHENTICATED,
    Code.FORBIDDEN,
    Code.METHOD_NOT_ALLOWED,
    Code.UNSUPPORTED_MEDIA_TYPE,
    Code.THROTTLED,
    Code.INTERNAL,
]

ERROR_ENVELOPE = {
    "type": "object",
    "required": ["errorCode", "message", "data"],
    "properties": {
        "errorCode": {"type": "string", "example": "460"},
        "message": {"type": "string", "example": "Enterprise name not unique"},
        "data": {"description": 'The request\'s data, or {"sid": ...} for the resource named in the path.'},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "description": "Validation messages per field.",
        },
    },
}

PAGE_FIELDS = {
    "pageSize": {"type": "integer"},
    "total": {"type": "integer"},
    "page": {"type": "integer"},
    "numPages": {"type": "integer"},
    "start": {"type": "integer"},
    "end": {"type": "integer"},
    "firstPageUri": {"type": "string"},
    "nextPageUri": {"type": "string"},
    "previousPageUri": {"type": "string"},
    "lastPageUri": {"type": "string"},
    "uri": {"type": "string"},
}


def success_envelope(data_schema: dict) -> dict:
    return {
        "type": "object",
        "required": ["data", "code", "message"],
        "properties": {
            "data": data_schema,
            "code": {"type": "integer", "enum": [200]},
            "message": {"type": "string", "example": "OK"},
        },
    }


class EnvelopeAutoSchema(AutoSchema):
    def get_operation_id(self):
        resource = self.path.split("/")[2] if self.path.count("/") >= 2 else "api"
        action = getattr(self.view, "action", None) or self.method.lower()
        return f"{resource}_{action}"

    def get_tags(self):
        parts = self.path.split("/")
        return [parts[2]] if len(parts) > 2 else ["api"]

    def get_override_parameters(self):
        params = super().get_override_parameters()
        if getattr(self.view, "action", None) == "list":
            sort_fields = list(getattr(self.view, "sort_fields", {}))
            sort_values = sort_fields + [f"{f}:{d}" for f in sort_fields for d in ("asc", "desc")]
            params += [
                OpenApiParameter(
                    "page", {"type": "integer", "minimum": 0}, description="Page to return, from 0.", default=0
                ),
                OpenApiParameter(
                    "pageSize",
                    {"type": "integer", "minimum": 1, "maximum": 1000},
                    description="Records per page (1 to 1000).",
                    default=10,
                ),
                OpenApiParameter(
                    "SortBy",
                    str,
                    enum=sort_values,
                    description="`attribute[:asc|:desc]`; ascending when no direction is given.",
                ),
            ]
        return params

    def _get_paginator(self):
        return None  # paging is described by the envelope below

    def _get_response_bodies(self, direction="response"):
        view = self.view
        action = getattr(view, "action", None)
        if action is None or not hasattr(view, "error_codes"):
            return super()._get_response_bodies(direction)
        serializer = view.serializer_class
        item = self._get_response_for_code(serializer, "200")["content"]["application/json"]["schema"]
        if action == "list":
            # drf-spectacular already describes a list action's serializer as an array.
            result = item if item.get("type") == "array" else {"type": "array", "items": item}
            data = {"type": "object", "properties": {"result": result, **PAGE_FIELDS}}
        else:
            data = item
        body = {"content": {"application/json": {"schema": success_envelope(data)}}}
        responses = {}
        if action == "create":
            responses["201"] = {**body, "description": "Created"}
            if view.__class__.__name__ == "HmacKeyViewSet":
                responses["200"] = {**body, "description": "An existing key was rotated"}
        else:
            responses["200"] = {**body, "description": "OK"}
        by_status = defaultdict(list)
        for error_code in [*view.error_codes.get(action, []), *COMMON_ERRORS]:
            if error_code not in by_status[error_code.http_status]:
                by_status[error_code.http_status].append(error_code)
        for status, codes in sorted(by_status.items()):
            responses[str(status)] = {
                "description": "; ".join(f"{c.code}: {c.message}" for c in codes),
                "content": {
                    "application/json": {
                        "schema": {
                            **ERROR_ENVELOPE,
                            "properties": {
                                **ERROR_ENVELOPE["properties"],
                                "errorCode": {"type": "string", "enum": [str(c.code) for c in codes]},
                            },
                        }
                    }
                },
            }
        return responses


def only_canonical_paths(endpoints, **kwargs):
    """The schema lists each operation once: no trailing-slash twins, no /phoneNumber alias; and
    only the CSP API (the Restcomm API has its own document, beside it)."""
    return [
        (path, pattern, method, callback)
        for path, pattern, method, callback in endpoints
        if path.startswith("/autoattendant/") and not path.endswith("/") and "/phoneNumber" not in path
    ]
