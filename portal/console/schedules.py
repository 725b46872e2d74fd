"""Console pages: schedules (placeholder route until the page is written)."""

from django.urls import path

from portal.console.dashboard import DashboardView

urlpatterns: list = [path("systems/<str:sid>/schedules/", DashboardView.as_view(), name="schedules")]
