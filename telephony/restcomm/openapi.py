"""The Restcomm API's operations as OpenAPI describes them (see telephony.restcomm.schema).

A view declares its form parameters (`form_fields`: method -> [(name, description, required)]),
its query filters (`query_fields`: method -> [(name, description)]), whether its GET is a paged
list (`paged`) and whether its POST creates (`creates`); every answer is XML or, with `.json`,
JSON, and every error a RestException.
"""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.openapi import AutoSchema

PAGING = [
    ("Page", "The page, from 0."),
    ("PageSize", "Items per page (50 by default, at most 1000)."),
    ("AfterSid", "The items after this one (the next page's link carries it)."),
]
REST_EXCEPTION = {
    "type": "object",
    "properties": {
        "code": {"type": "integer"},
        "message": {"type": "string"},
        "more_info": {"type": "string"},
        "status": {"type": "integer"},
    },
}
ERRORS = {
    "400": "Bad request: a parameter is missing or wrong",
    "401": "No or wrong credentials (AccountSid or email, AuthToken)",
    "403": "The account may not do this",
    "404": "No such resource for this account (another account's is answered the same)",
    "409": "Conflicts with what exists",
    "429": "Too many requests or failed sign-ins; see Retry-After",
    "503": "Cannot be done now (Calls: no executor answers, or the one holding the call is gone)",
}


def _content(schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "application/xml": {"schema": {"type": "string", "description": "<RestcommResponse>…</RestcommResponse>"}},
        "application/json": {"schema": schema},
    }


class RestcommAutoSchema(AutoSchema):
    def get_operation_id(self) -> str:
        words = [part for part in self.path.split("/") if part and not part.startswith("{")]
        item = "_item" if self.path.endswith("}") else "_audio" if self.path.endswith(".wav") else ""
        return "restcomm_" + "_".join(words[2:]).lower().replace("-", "_") + item + "_" + self.method.lower()

    def get_tags(self) -> list[str]:
        words = [part for part in self.path.split("/") if part and not part.startswith("{")]
        return ["Restcomm " + (words[3] if len(words) > 3 else words[-1])]

    def _resolve_path_parameters(self, variables):
        return [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}} for name in variables]

    def _get_parameters(self):
        parameters = [*self._resolve_path_parameters(self._get_path_variables())]
        method = self.method.lower()
        for name, description in getattr(self.view, "query_fields", {}).get(method, []):
            parameters.append({"name": name, "in": "query", "description": description, "schema": {"type": "string"}})
        if method == "get" and getattr(self.view, "paged", False):
            parameters += [
                {"name": name, "in": "query", "description": description, "schema": {"type": "string"}}
                for name, description in PAGING
            ]
        return parameters

    def _get_path_variables(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)

    def _get_request_body(self, direction="request"):
        fields = getattr(self.view, "form_fields", {}).get(self.method.lower())
        if not fields:
            return None
        properties = {name: {"type": "string", "description": description} for name, description, _ in fields}
        required = [name for name, _, needed in fields if needed]
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
        return {"content": {"application/x-www-form-urlencoded": {"schema": schema}}}

    def _get_response_bodies(self, direction="response"):
        method = self.method.lower()
        responses: dict[str, Any] = {}
        if method == "delete":
            responses["204"] = {"description": "Deleted"}
        else:
            ok = "201" if method == "post" and getattr(self.view, "creates", False) else "200"
            responses[ok] = {
                "description": (self.view.__doc__ or "The resource").strip().splitlines()[0],
                "content": _content({"type": "object", "description": "Restcomm's properties in snake_case"}),
            }
        for status, description in ERRORS.items():
            responses[status] = {"description": description, "content": _content(REST_EXCEPTION)}
        return responses


def only_restcomm_paths(endpoints, **kwargs):
    """Each operation once: under /restcomm/2012-04-24, without its `.json` and trailing-slash twins."""
    return [
        (path, pattern, method, callback)
        for path, pattern, method, callback in endpoints
        if path.startswith("/restcomm/2012-04-24/") and not path.endswith(("/", ".json"))
    ]
