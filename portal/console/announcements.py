"""Console pages: announcements (placeholder route until the page is written)."""

from django.urls import path

from portal.console.dashboard import DashboardView

urlpatterns: list = [path("announcements/", DashboardView.as_view(), name="announcements")]
