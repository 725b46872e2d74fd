"""Console pages: systems (placeholder route until the page is written)."""

from django.urls import path

from portal.console.dashboard import DashboardView

urlpatterns: list = [path("systems/", DashboardView.as_view(), name="systems")]
