"""Response headers that protect the console and the API's answers.

- Content-Security-Policy (django-csp, settings.CONTENT_SECURITY_POLICY) on every answer; the API docs
  pages get their own, looser one (settings.CONTENT_SECURITY_POLICY_DOCS), as Swagger UI and ReDoc
  style themselves inline.
- `Cache-Control: no-store` on every answer to a signed-in caller (console session, API token or HMAC
  signature): they carry tenant data, API tokens and HMAC keys that no shared or browser cache may keep.
  A view that set its own Cache-Control (a recording's private, revalidated audio) keeps it.
"""

from __future__ import annotations

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.cache import patch_cache_control
from django.utils.functional import SimpleLazyObject, empty


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        prefixes, update = settings.CONTENT_SECURITY_POLICY_DOCS
        if not report_only and parts.update is None and request.path_info.startswith(prefixes):
            parts.update = update
        return parts


class NoStoreWhenSignedInMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        # DRF sets the user it authenticated on the Django request too. A session user the view never
        # looked at is left unread: the answer did not depend on who is signed in.
        user = request.__dict__.get("user")
        if isinstance(user, SimpleLazyObject) and user._wrapped is empty:  # type: ignore[attr-defined]
            return response
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            patch_cache_control(response, no_store=True, private=True)
        return response
