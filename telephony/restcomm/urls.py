"""The Restcomm API's routes, under `/restcomm/2012-04-24/` and `/2012-04-24/` (portal.urls)."""

from telephony.restcomm import (
    accounts,
    calls,
    clients,
    gateways,
    not_offered,
    notifications,
    numbers,
    recordings,
)

# Subresources before `Accounts/<sid>`, whose converter would take `AC….json` whole otherwise.
urlpatterns = [
    *clients.urlpatterns,
    *numbers.urlpatterns,
    *calls.urlpatterns,
    *recordings.urlpatterns,
    *notifications.urlpatterns,
    *gateways.urlpatterns,
    *not_offered.urlpatterns,
    *accounts.urlpatterns,
]
