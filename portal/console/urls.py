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
    restcomm_account,
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
    *restcomm_account.urlpatterns,
    *registrations.urlpatterns,
    *numbers.urlpatterns,
    *systems.urlpatterns,
    *menus.urlpatterns,
    *schedules.urlpatterns,
    *announcements.urlpatterns,
    *testcall.urlpatterns,
    *calls.urlpatterns,
]
