from autoattendant.models.audit import AuditEntry
from autoattendant.models.enterprise import Enterprise
from autoattendant.models.hmac_key import HmacKey
from autoattendant.models.organisation import Organisation
from autoattendant.models.phone_number import PhoneNumber
from autoattendant.models.system import AutoAttendantSystem
from autoattendant.models.user import User

__all__ = [
    "AuditEntry",
    "AutoAttendantSystem",
    "Enterprise",
    "HmacKey",
    "Organisation",
    "PhoneNumber",
    "User",
]
