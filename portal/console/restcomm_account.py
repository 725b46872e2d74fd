"""The telephony (Restcomm) account's credentials, for the admins it belongs to: a CSP admin sees the
CSP's account, an enterprise admin the enterprise's. With them the Restcomm API answers."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import path
from django.views import View

from autoattendant.choices import Role
from autoattendant.provisioning import get_backend
from portal.console.base import ConsoleMixin


class RestcommAccountPage(ConsoleMixin, View):
    roles = frozenset({Role.CSP_ADMIN, Role.BG_ADMIN})

    def get(self, request):
        user = request.user
        if user.role == Role.CSP_ADMIN:
            credentials = get_backend().account_credentials(organisation=user.organisation)
            owner = user.organisation.name
        elif user.enterprise is not None:
            credentials = get_backend().account_credentials(enterprise=user.enterprise)
            owner = user.enterprise.name
        else:
            raise PermissionDenied
        base_url = request.build_absolute_uri("/restcomm/2012-04-24").rstrip("/")
        context = {"credentials": credentials, "owner": owner, "base_url": base_url}
        response = render(request, "console/restcomm_account.html", context)
        response["Cache-Control"] = "no-store"  # it shows a secret
        return response


urlpatterns = [path("restcomm-account/", RestcommAccountPage.as_view(), name="restcomm_account")]
