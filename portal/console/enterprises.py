"""Console pages: enterprises (placeholder route until the page is written)."""

from django.urls import path

from portal.console.dashboard import DashboardView

urlpatterns: list = [path("enterprises/", DashboardView.as_view(), name="enterprises")]
