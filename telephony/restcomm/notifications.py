"""Notifications: the errors and warnings met while handling calls (a document that could not be
fetched or did not parse), per account and per call; filter `Log` (0 error, 1 warning)."""

from __future__ import annotations

from typing import Any

from telephony import accounts
from telephony.models import Notification
from telephony.restcomm.base import RestcommView, resource
from telephony.restcomm.errors import RestcommError


class NotificationView(RestcommView):
    def visible(self, account_sid: str):
        account = self.target(account_sid)
        return Notification.objects.filter(account_sid__in=accounts.below(account).values("sid"))

    def represent(self, notification: Notification) -> dict[str, Any]:
        return {
            "Sid": notification.sid,
            "DateCreated": notification.date_created,
            "DateUpdated": notification.date_updated,
            "AccountSid": notification.account_sid,
            "CallSid": notification.call_sid,
            "ApiVersion": notification.api_version,
            "Log": notification.log,
            "ErrorCode": notification.error_code,
            "MoreInfo": notification.more_info,
            "MessageText": notification.message_text,
            "MessageDate": notification.message_date,
            "RequestUrl": notification.request_url,
            "RequestMethod": notification.request_method,
            "RequestVariables": notification.request_variables,
            "ResponseHeaders": notification.response_headers,
            "ResponseBody": notification.response_body,
            "Uri": self.uri("Accounts", notification.account_sid, "Notifications", notification.sid),
        }


class NotificationList(NotificationView):
    """The account's notifications, or a call's."""

    paged = True

    def get(self, request, account_sid: str, call_sid: str | None = None, format=None):
        found = self.visible(account_sid)
        if call_sid:
            found = found.filter(call_sid=call_sid)
        log = self.request.query_params.get("Log")
        if log not in (None, ""):
            if log not in ("0", "1"):
                raise RestcommError(400, "Log must be 0 (error) or 1 (warning)")
            found = found.filter(log=int(log))
        return self.page("Notifications", "Notification", found, self.represent, order=("-message_date", "-id"))


class NotificationDetail(NotificationView):
    def get(self, request, account_sid: str, notification_sid: str, format=None):
        notification = self.one(self.visible(account_sid), "notification", notification_sid)
        return self.item("Notification", self.represent(notification))


urlpatterns = [
    *resource("Accounts/<str:account_sid>/Notifications", NotificationList.as_view(), "restcomm-notifications"),
    *resource(
        "Accounts/<str:account_sid>/Calls/<str:call_sid>/Notifications",
        NotificationList.as_view(),
        "restcomm-call-notifications",
    ),
    *resource(
        "Accounts/<str:account_sid>/Notifications/<str:notification_sid>",
        NotificationDetail.as_view(),
        "restcomm-notification",
    ),
]
