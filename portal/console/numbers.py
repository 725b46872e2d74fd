"""Console pages: numbers (placeholder route until the page is written)."""

from django.urls import path

from portal.console.dashboard import DashboardView

urlpatterns: list = [path("numbers/", DashboardView.as_view(), name="numbers")]
