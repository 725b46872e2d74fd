"""Console pages: calls (placeholder route until the page is written)."""

from django.urls import path

from portal.console.dashboard import DashboardView

urlpatterns: list = [path("calls/", DashboardView.as_view(), name="calls")]
