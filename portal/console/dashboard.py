"""The first page after sign-in."""

from __future__ import annotations

from django.urls import path
from django.views.generic import TemplateView

from portal.console.base import ConsoleMixin


class DashboardView(ConsoleMixin, TemplateView):
    template_name = "console/dashboard.html"


urlpatterns = [path("", DashboardView.as_view(), name="dashboard")]
