"""The console's routes, under /console/; one module per part of the console."""

from __future__ import annotations

from portal.console import (
    announcements,
    auth,
    calls,
    dashboard,
    enterprises,
    keys,
    menus,
    numbers,
    registrations,
    schedules,
    systems,
    testcall,
    users,
)

app_name = "console"

urlpatterns = [
    *auth.urlpatterns,
    *dashboard.urlpatterns,
    *enterprises.urlpatterns,
    *users.urlpatterns,
    *keys.urlpatterns,
    *registrations.urlpatterns,
    *numbers.urlpatterns,
    *systems.urlpatterns,
    *menus.urlpatterns,
    *schedules.urlpatterns,
    *announcements.urlpatterns,
    *testcall.urlpatterns,
    *calls.urlpatterns,
]
