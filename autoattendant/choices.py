"""Every role, status and type of the domain, in one place (NetBox's ChoiceSet idea)."""

from django.db import models


class Role(models.TextChoices):
    CSP_ADMIN = "CSP_ADMIN", "CSP admin"
    BG_ADMIN = "BG_ADMIN", "Enterprise admin"
    AA_ADMIN = "AA_ADMIN", "Auto attendant admin"

    @classmethod
    def parse(cls, value: str) -> "Role":
        """The reference's older name ENTERPRISE_ADMIN is accepted as BG_ADMIN."""
        normalized = str(value).strip().upper().replace("-", "_")
        if normalized == "ENTERPRISE_ADMIN":
            return cls.BG_ADMIN
        return cls(normalized)


class UserStatus(models.TextChoices):
    ACTIVE = "ACTIVE", "Active"
    SUSPENDED = "SUSPENDED", "Suspended"
    DELETED = "DELETED", "Deleted"


class SystemStatus(models.TextChoices):
    ACTIVE = "ACTIVE", "Active"
    INACTIVE = "INACTIVE", "Inactive"


class ExtensionType(models.TextChoices):
    NUMBER = "number", "Phone number"
    CLIENT = "client", "SIP client"


class ActionTarget(models.TextChoices):
    """What an action's actionData must name."""

    NONE = "none", "nothing"
    ANNOUNCEMENT = "announcement", "an announcement SID"
    EXTENSION = "extension", "an extension's phone number SID in the same AA system"
    E164 = "e164", "an E.164 phone number"
    MENU = "menu", "a menu SID"
    OPTIONAL_EXTENSION = (
        "optional_extension",
        "optionally an extension's phone number SID in the same AA system (none: the system's general mailbox)",
    )


class ActionType(models.TextChoices):
    HANGUP = "HANGUP", "Hang up"
    ANNOUNCEMENT_HANGUP = "ANNOUNCEMENT_HANGUP", "Play an announcement, then hang up"
    ANNOUNCEMENT_RETURN = "ANNOUNCEMENT_RETURN", "Play an announcement, then return to the menu"
    DIAL_BY_EXTENSION = "DIAL_BY_EXTENSION", "Dial by extension"
    DIAL_BY_NAME = "DIAL_BY_NAME", "Dial by name"
    TRANSFER_TO_EXTENSION = "TRANSFER_TO_EXTENSION", "Transfer to an extension"
    TRANSFER_TO_NUMBER = "TRANSFER_TO_NUMBER", "Transfer to a phone number"
    TRANSFER_TO_OPERATOR = "TRANSFER_TO_OPERATOR", "Transfer to the operator"
    GO_TO_MENU = "GO_TO_MENU", "Go to a menu"
    REPEAT_MENU = "REPEAT_MENU", "Repeat the menu"
    RETURN_TO_PREVIOUS_MENU = "RETURN_TO_PREVIOUS_MENU", "Return to the previous menu"
    RETURN_TO_MAIN_MENU = "RETURN_TO_MAIN_MENU", "Return to the main menu"
    VOICEMAIL = "VOICEMAIL", "Voicemail"


ACTION_TARGETS: dict[str, ActionTarget] = {
    ActionType.HANGUP: ActionTarget.NONE,
    ActionType.ANNOUNCEMENT_HANGUP: ActionTarget.ANNOUNCEMENT,
    ActionType.ANNOUNCEMENT_RETURN: ActionTarget.ANNOUNCEMENT,
    ActionType.DIAL_BY_EXTENSION: ActionTarget.NONE,
    ActionType.DIAL_BY_NAME: ActionTarget.NONE,
    ActionType.TRANSFER_TO_EXTENSION: ActionTarget.EXTENSION,
    ActionType.TRANSFER_TO_NUMBER: ActionTarget.E164,
    ActionType.TRANSFER_TO_OPERATOR: ActionTarget.NONE,
    ActionType.GO_TO_MENU: ActionTarget.MENU,
    ActionType.REPEAT_MENU: ActionTarget.NONE,
    ActionType.RETURN_TO_PREVIOUS_MENU: ActionTarget.NONE,
    ActionType.RETURN_TO_MAIN_MENU: ActionTarget.NONE,
    ActionType.VOICEMAIL: ActionTarget.OPTIONAL_EXTENSION,
}


class AuditAction(models.TextChoices):
    CREATE = "create", "Created"
    UPDATE = "update", "Updated"
    DELETE = "delete", "Deleted"
    SIGN_IN = "sign_in", "Signed in"
    SIGN_IN_REFUSED = "refused", "Sign-in refused"


class AnnouncementType(models.TextChoices):
    TTS = "TTS", "Text to speech"
    AUDIO = "AUDIO", "Uploaded audio"


class AnnouncementStatus(models.TextChoices):
    PROCESSING = "PROCESSING", "Processing"
    READY = "READY", "Ready"
    FAILED = "FAILED", "Failed"


class Voice(models.TextChoices):
    WOMAN = "woman", "Woman"
    MAN = "man", "Man"


class ScheduleType(models.TextChoices):
    WORK_HOURS = "WORK_HOURS", "Work hours"
    SPECIAL_DAY = "SPECIAL_DAY", "Special day"


class Weekday(models.TextChoices):
    MON = "MON", "Monday"
    TUE = "TUE", "Tuesday"
    WED = "WED", "Wednesday"
    THU = "THU", "Thursday"
    FRI = "FRI", "Friday"
    SAT = "SAT", "Saturday"
    SUN = "SUN", "Sunday"


class Ordinal(models.TextChoices):
    FIRST = "FIRST", "First"
    SECOND = "SECOND", "Second"
    THIRD = "THIRD", "Third"
    FOURTH = "FOURTH", "Fourth"
    LAST = "LAST", "Last"


class PublishStatus(models.TextChoices):
    NONE = "NONE", "Never published"
    PENDING = "PENDING", "Compiling"
    PUBLISHED = "PUBLISHED", "Published"
    FAILED = "FAILED", "Last compile failed"


class CallOutcome(models.TextChoices):
    """How a call ended, as the executor reports it in its call record; IN_PROGRESS from the
    moment the portal serves the call's entry document until that report, LOST when it never came."""

    IN_PROGRESS = "IN_PROGRESS", "The call is going on: its executor has not reported its end yet"
    LOST = "LOST", "Its executor never reported its end (it stopped while the call was going on)"
    COMPLETED = "COMPLETED", "The call flow ended and the system hung up"
    CALLER_HANGUP = "CALLER_HANGUP", "The caller hung up during the menus"
    TRANSFERRED = "TRANSFERRED", "A transfer (Dial) was answered"
    VOICEMAIL = "VOICEMAIL", "The caller left a voicemail message"
    CANCELLED = "CANCELLED", "The caller gave up before the call was answered"
    REJECTED = "REJECTED", "Rejected: unknown number, inactive system, or an RCML Reject"
    FAILED = "FAILED", "Failed: portal unreachable, no ACK, media timeout or an internal error"


# What an executor may report: how a call ended (IN_PROGRESS and LOST are the portal's own).
CALL_ENDINGS = tuple(
    (value, label) for value, label in CallOutcome.choices if value not in (CallOutcome.IN_PROGRESS, CallOutcome.LOST)
)


MENU_KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "*", "#")
