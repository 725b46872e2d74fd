"""Console pages: systems (placeholder routes until the pages are written)."""

from django.urls import path

from portal.console.dashboard import DashboardView

urlpatterns: list = [
    path("systems/", DashboardView.as_view(), name="systems"),
    path("systems/<str:sid>/", DashboardView.as_view(), name="system"),
]
