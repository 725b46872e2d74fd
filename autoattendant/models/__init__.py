from autoattendant.models.announcement import Announcement
from autoattendant.models.audit import AuditEntry
from autoattendant.models.call_record import CallRecord
from autoattendant.models.enterprise import Enterprise
from autoattendant.models.hmac_key import HmacKey
from autoattendant.models.menu import Menu
from autoattendant.models.number_import import NumberImport
from autoattendant.models.organisation import Organisation
from autoattendant.models.phone_number import PhoneNumber
from autoattendant.models.schedule import Schedule
from autoattendant.models.system import AutoAttendantSystem
from autoattendant.models.user import User
from autoattendant.models.voicemail import VoicemailMessage

__all__ = [
    "Announcement",
    "Menu",
    "NumberImport",
    "Schedule",
    "AuditEntry",
    "AutoAttendantSystem",
    "CallRecord",
    "Enterprise",
    "HmacKey",
    "Organisation",
    "PhoneNumber",
    "User",
    "VoicemailMessage",
]
