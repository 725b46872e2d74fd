"""What an auto attendant platform does not offer, answered in Restcomm's error shape (SMS, USSD),
and what comes later (Transcriptions: the resource exists and lists none)."""

from django.urls import URLPattern

from telephony.restcomm.base import RestcommView, resource
from telephony.restcomm.errors import RestcommError

SMS_NOT_OFFERED = "SMS is not offered by this platform: it serves voice calls (auto attendants) only"
USSD_NOT_OFFERED = "USSD is not offered by this platform: it serves voice calls (auto attendants) only"


class NotOffered(RestcommView):
    message = ""

    def _refuse(self, request, account_sid: str, format=None, **kwargs):
        self.target(account_sid)
        raise RestcommError(405, self.message, code=21610)

    get = post = put = delete = _refuse


class SmsMessages(NotOffered):
    message = SMS_NOT_OFFERED


class UssdPush(NotOffered):
    message = USSD_NOT_OFFERED


class Transcriptions(RestcommView):
    """Voicemail transcription comes later: until then there are none."""

    paged = True

    def get(self, request, account_sid: str, format=None):
        self.target(account_sid)
        return self.page("Transcriptions", "Transcription", None, dict)


class Transcription(RestcommView):
    def get(self, request, account_sid: str, transcription_sid: str, format=None):
        self.target(account_sid)
        raise RestcommError(404, f"The transcription {transcription_sid} was not found")

    delete = get


urlpatterns: list[URLPattern] = [
    *resource("Accounts/<str:account_sid>/SMS/Messages", SmsMessages.as_view(), "restcomm-sms"),
    *resource("Accounts/<str:account_sid>/SMS/Messages/<str:sms_sid>", SmsMessages.as_view(), "restcomm-sms-item"),
    *resource("Accounts/<str:account_sid>/UssdPush", UssdPush.as_view(), "restcomm-ussd"),
    *resource("Accounts/<str:account_sid>/Transcriptions", Transcriptions.as_view(), "restcomm-transcriptions"),
    *resource(
        "Accounts/<str:account_sid>/Transcriptions/<str:transcription_sid>",
        Transcription.as_view(),
        "restcomm-transcription",
    ),
]
