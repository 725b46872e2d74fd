"""Console pages: keys (placeholder route until the page is written)."""

from django.urls import path

from portal.console.dashboard import DashboardView

urlpatterns: list = [path("keys/", DashboardView.as_view(), name="keys")]
