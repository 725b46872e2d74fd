"""HMAC keys, for CSP admins: create, rotate, retire. A new secret is shown once, on the page that made it."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path
from django.views import View

from autoattendant.models import HmacKey
from autoattendant.services import hmac_keys
from autoattendant.services.access import access_hmac_key
from portal.console.base import ConsoleMixin, fetch


class KeyPage(ConsoleMixin, View):
    roles = hmac_keys.PERMISSIONS.create
    template_name = "console/keys/keys.html"

    def render_page(self, request, *, new_key=None, status=200):
        keys = HmacKey.objects.visible_to(request.user).order_by("date_created", "id")
        context = {
            "keys": keys,
            "new_key": new_key,
            "example_key_sid": keys[0].sid if keys else "OHK…",
            "sso_max_age": settings.SSO_MAX_AGE_SECONDS,
            "base_url": request.build_absolute_uri("/").rstrip("/"),
        }
        response = render(request, self.template_name, context, status=status)
        response["Cache-Control"] = "no-store"  # the one page that shows a secret
        return response

    def get(self, request):
        return self.render_page(request)


class KeyRotate(KeyPage):
    def post(self, request):
        key, created = hmac_keys.create_or_rotate_hmac_key(request.user)
        messages.success(
            request, "HMAC key created." if created else "HMAC key rotated: the old secret no longer works."
        )
        return self.render_page(request, new_key=key)


class KeyRetire(KeyPage):
    def post(self, request, sid):
        fetch(access_hmac_key, request.user, sid)
        hmac_keys.delete_hmac_key(request.user, sid)
        messages.success(request, f"HMAC key {sid} retired: signed requests and sign-in links with it are refused.")
        return redirect("console:keys")


urlpatterns = [
    path("keys/", KeyPage.as_view(), name="keys"),
    path("keys/rotate/", KeyRotate.as_view(), name="key_rotate"),
    path("keys/<str:sid>/retire/", KeyRetire.as_view(), name="key_retire"),
]
