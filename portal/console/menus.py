"""Console pages: menus (placeholder route until the page is written)."""

from django.urls import path

from portal.console.dashboard import DashboardView

urlpatterns: list = [path("systems/<str:sid>/menus/", DashboardView.as_view(), name="menus")]
