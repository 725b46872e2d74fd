"""Console pages: testcall (placeholder route until the page is written)."""

from django.urls import path

from portal.console.dashboard import DashboardView

urlpatterns: list = [path("systems/<str:sid>/test-call/", DashboardView.as_view(), name="test_call")]
