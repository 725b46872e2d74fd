"""The one registry of API error codes (Zulip's exceptions idea).

Services raise `AAError(Code.X)`; one exception handler renders every error, including Django's and
DRF's own, as `{"errorCode": "...", "message": "...", "data": ...}`. The reference's codes keep their
numbers, HTTP statuses and messages; codes of our own start at 511.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ErrorCode:
    code: int
    http_status: int
    message: str


# The message of a 400 whose `errors` name the fields at fault, wherever the fields were checked.
VALIDATION_FAILED = "Validation failed"


class Code:
    # Common codes.
    BAD_REQUEST = ErrorCode(400, 400, "Bad request")
    UNAUTHENTICATED = ErrorCode(401, 401, "Authentication required")
    FORBIDDEN = ErrorCode(403, 403, "You do not have permission to perform this action")
    NO_SUCH_ROUTE = ErrorCode(404, 404, "Not found")
    METHOD_NOT_ALLOWED = ErrorCode(405, 405, "Method not allowed")
    NOT_ACCEPTABLE = ErrorCode(406, 406, "Not acceptable")
    UNSUPPORTED_MEDIA_TYPE = ErrorCode(415, 415, "Unsupported media type")
    THROTTLED = ErrorCode(429, 429, "Too many requests")
    INTERNAL = ErrorCode(500, 500, "Internal server error")

    # The reference's codes.
    HMAC_KEY_NOT_FOUND = ErrorCode(458, 409, "Hmac key not found")
    ENTERPRISE_NAME_NOT_UNIQUE = ErrorCode(460, 409, "Enterprise name not unique")
    ENTERPRISE_NOT_FOUND = ErrorCode(467, 409, "Enterprise not found")
    ENTERPRISE_HAS_SYSTEMS = ErrorCode(482, 409, "Enterprise has AutoAttendant systems assigned to it")
    USER_NOT_UNIQUE = ErrorCode(484, 409, "supportUser not unique")
    NUMBER_PROVISIONING_FAILED = ErrorCode(486, 409, "Error in provisioning number on Restcomm")
    USER_NOT_FOUND = ErrorCode(487, 409, "Auto Attendant user Id not found")
    SYSTEM_NOT_FOUND = ErrorCode(490, 409, "AutoAttendant System not found")
    PHONE_NUMBER_NOT_FOUND = ErrorCode(491, 409, "PhoneNumber not found")
    NOT_AN_EXTENSION = ErrorCode(493, 409, "PhoneNumber is not an Extension number")
    CLIENT_PROVISIONING_FAILED = ErrorCode(494, 409, "Error in provisioning client")
    CLIENT_PASSWORD_NEEDED = ErrorCode(495, 409, "Password needed to provision new client in Restcomm")
    ACCOUNT_PROVISIONING_FAILED = ErrorCode(499, 409, "Error in creating an account on Restcomm")
    USER_IS_ENTERPRISE_ADMIN = ErrorCode(501, 409, "The user is an enterprise admin")
    SYSTEM_HAS_NUMBERS = ErrorCode(503, 409, "Auto Attendant system has number assigned to it.")
    NUMBER_IN_SYSTEM = ErrorCode(
        508, 409, "This phone number cannot be deleted as it is being used in an Auto Attendant System."
    )
    NUMBER_NOT_UNIQUE = ErrorCode(510, 409, "PhoneNumber number already exists")

    # Our own codes.
    EXTENSION_AS_AA_NUMBER = ErrorCode(511, 409, "PhoneNumber is an Extension number and cannot be an AA number")
    NUMBER_IN_OTHER_SYSTEM = ErrorCode(512, 409, "PhoneNumber is already assigned to another Auto Attendant system")
    UNKNOWN_TIMEZONE = ErrorCode(513, 400, "Unknown timezoneId")
    INVALID_ACTION = ErrorCode(514, 400, "Invalid action")
    UNKNOWN_ACTION_TYPE = ErrorCode(515, 400, "Unknown actionType")
    ANNOUNCEMENT_NOT_FOUND = ErrorCode(516, 409, "Announcement not found")
    MENU_NOT_FOUND = ErrorCode(517, 409, "Menu not found")
    EXTENSION_NOT_IN_SYSTEM = ErrorCode(518, 409, "Extension is not assigned to this Auto Attendant system")
    ROLE_NOT_ALLOWED = ErrorCode(519, 403, "Your role cannot create or change a user with this role")
    CANNOT_DELETE_SELF = ErrorCode(520, 409, "You cannot delete your own user")
    ENTERPRISE_REQUIRED = ErrorCode(521, 400, "enterpriseSid is required for this role")
    EXTENSION_NOT_UNIQUE = ErrorCode(522, 409, "Extension already exists in this enterprise")
    ANNOUNCEMENT_IN_USE = ErrorCode(523, 409, "Announcement is in use")
    MENU_IN_USE = ErrorCode(524, 409, "Menu is in use")
    SCHEDULE_OVERLAP = ErrorCode(525, 409, "Schedule overlaps another schedule of the same type")
    SCHEDULE_NOT_FOUND = ErrorCode(526, 409, "Schedule not found")
    AUDIO_UNREADABLE = ErrorCode(527, 400, "Audio file is unreadable or empty")
    AUDIO_TOO_LONG = ErrorCode(528, 400, "Audio is longer than 5 minutes")
    AUDIO_TOO_LARGE = ErrorCode(529, 413, "Audio file is larger than 20 MB")
    INVALID_SCHEDULE = ErrorCode(530, 400, "Invalid schedule")
    NOT_PUBLISHED = ErrorCode(531, 409, "Auto Attendant system has no published version")
    NUMBER_NOT_ROUTED = ErrorCode(532, 409, "PhoneNumber is not an AA number of an active Auto Attendant system")
    ANNOUNCEMENT_NOT_READY = ErrorCode(533, 409, "Announcement audio is not ready")
    VOICEMAIL_NOT_FOUND = ErrorCode(534, 409, "Voicemail message not found")
    CALL_RECORD_NOT_FOUND = ErrorCode(535, 409, "Call record not found")
    VOICEMAIL_AUDIO_UNAVAILABLE = ErrorCode(536, 409, "Voicemail audio is not available")
    ORGANISATION_NAME_NOT_UNIQUE = ErrorCode(537, 409, "Organisation name not unique")
    REGISTRATION_NOT_FOUND = ErrorCode(538, 409, "Registration not found")
    AA_NUMBER_NOT_CHANGEABLE = ErrorCode(
        539, 409, "This number is an AA number: change or release it through the /autoattendant API"
    )


def all_codes() -> list[ErrorCode]:
    return sorted((value for value in vars(Code).values() if isinstance(value, ErrorCode)), key=lambda c: c.code)


def by_number(number: int) -> ErrorCode:
    for error_code in all_codes():
        if error_code.code == number:
            return error_code
    raise KeyError(number)


class AAError(Exception):
    """A coded API error. `data` is echoed in the envelope; `errors` adds field messages."""

    def __init__(
        self,
        error_code: ErrorCode,
        data: Any = None,
        *,
        message: str | None = None,
        errors: dict[str, list[str]] | None = None,
    ) -> None:
        self.error_code = error_code
        self.data = data
        self.message = message or error_code.message
        self.errors = errors
        super().__init__(f"{error_code.code} {self.message}")

    def describe(self) -> str:
        """The message with its field messages, where no envelope carries them (a CSV report, a command)."""
        details = "; ".join(
            f"{field}: {message}" for field, messages in (self.errors or {}).items() for message in messages
        )
        return f"{self.message}: {details}" if details else self.message

    def with_data(self, data: Any) -> AAError:
        """Services know the rule; the view knows the request whose data the envelope echoes."""
        if self.data is None:
            self.data = data
        return self
