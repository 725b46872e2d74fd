"""Which phones are registered for SIP client extensions: a state on the numbers list, the bindings on
an extension's page, and dropping them (the same service as the API's, `telephony.registrations`)."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import path
from django.views import View

from autoattendant.errors import AAError
from autoattendant.models import PhoneNumber
from autoattendant.services.access import access_phone_number
from portal.console.base import ConsoleMixin, fetch, refused
from telephony import registrations


def with_registrations(numbers: Iterable[PhoneNumber], user=None) -> list[PhoneNumber]:
    """The numbers (already scoped), each with its `registration` status: one query for a whole page.
    With `user`, only if that user's role may read registrations (the numbers as they are otherwise)."""
    numbers = list(numbers)
    if user is not None and user.role not in registrations.PERMISSIONS.read:
        return numbers
    statuses = registrations.statuses_of(numbers)
    for number in numbers:
        number.registration = statuses[number.sid]  # type: ignore[attr-defined]
    return numbers


class DropRegistrations(ConsoleMixin, View):
    """POST: drop one binding (`registration`, its RG… SID) or all of the extension's."""

    roles = registrations.PERMISSIONS.delete

    def post(self, request, sid):
        fetch(access_phone_number, request.user, sid)
        one = request.POST.get("registration") or None
        try:
            left = registrations.drop_registrations(request.user, sid, one)
        except AAError as exc:
            refused(request, "Not dropped", exc)
            return redirect("console:number", sid)
        if one:
            what = "The registration was dropped: calls reach that phone again once it registers."
        else:
            what = "Its registrations were dropped: calls reach its phones again once they register."
        still = f" {len(left.bindings)} left." if left.bindings else ""
        messages.success(request, f"{what}{still}")
        return redirect("console:number", sid)


urlpatterns = [
    path("numbers/<str:sid>/registrations/drop/", DropRegistrations.as_view(), name="number_registrations_drop"),
]
