"""Console pages: users (placeholder route until the page is written)."""

from django.urls import path

from portal.console.dashboard import DashboardView

urlpatterns: list = [path("users/", DashboardView.as_view(), name="users")]
