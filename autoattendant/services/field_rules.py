"""The rules of single fields: a number's shape, an extension's digits, a password's length.

They live here once, and every service that writes such a field checks it here, so the API, the
console, the CSV import, management commands and tasks refuse the same input with the same coded
error: 400 "Validation failed", with `errors` under the API's own field names (`number`,
`extension`, `extFromPhoneNumber`, `password`), as the API reports a request that fails its shape.
Serializers and forms keep only the shape of what they receive.

A row is checked when it is written: a number stored under the older, looser rule stays as it is,
and its other fields can still be changed, until its number is written again.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

from autoattendant.choices import ExtensionType
from autoattendant.errors import VALIDATION_FAILED, AAError, Code

PHONE_NUMBER_MAX_DIGITS = 15  # E.164's limit
EXTENSION_MAX_DIGITS = 10
SIP_LOGIN_MAX_LENGTH = 64
PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 128

# What callers dial and what a transfer shows them: digits, with an optional leading `+`, as the
# reference's own `1234234234`.
PHONE_NUMBER = re.compile(rf"\+?[0-9]{{1,{PHONE_NUMBER_MAX_DIGITS}}}")
# A transfer target leaves the enterprise: strictly E.164, with its `+` and no leading zero.
E164 = re.compile(rf"\+[1-9][0-9]{{1,{PHONE_NUMBER_MAX_DIGITS - 1}}}")
# A SIP client extension's number is the login its phone registers with; a phone may register under
# its phone number too (`+14155550202`, as the CSV sample has it).
SIP_LOGIN = re.compile(rf"[A-Za-z0-9._-]{{1,{SIP_LOGIN_MAX_LENGTH}}}|{PHONE_NUMBER.pattern}")
EXTENSION = re.compile(rf"[0-9]{{1,{EXTENSION_MAX_DIGITS}}}")

PHONE_NUMBER_MESSAGE = (
    f"A phone number: digits with an optional leading +, at most {PHONE_NUMBER_MAX_DIGITS} digits (e.g. +14155550100)."
)
SIP_LOGIN_MESSAGE = (
    f"A SIP client login: letters, digits, '.', '_' or '-', at most {SIP_LOGIN_MAX_LENGTH} characters "
    "(or a phone number)."
)
EXTENSION_MESSAGE = f"Digits only, at most {EXTENSION_MAX_DIGITS} (e.g. 201)."
EXTENSION_NEEDED_MESSAGE = "An extension number needs its extension."


class FieldErrors:
    """Every broken field of one write, refused together as the API refuses a request's fields."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str, *, within: str | None = None) -> None:
        """`within` names the object the field sits in (`enterpriseAdmin`), as the API nests its errors."""
        if within:
            field, message = within, f"{field}: {message}"
        self.errors.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise AAError(Code.BAD_REQUEST, message=VALIDATION_FAILED, errors=self.errors)


def is_sip_login(*, is_extension: bool, extension_type: str) -> bool:
    """Only a client extension's number is a SIP login; every other number is a phone number."""
    return is_extension and extension_type == ExtensionType.CLIENT


def check_number(
    errors: FieldErrors, number: str, *, is_extension: bool, extension_type: str, field: str = "number"
) -> None:
    if is_sip_login(is_extension=is_extension, extension_type=extension_type):
        if not SIP_LOGIN.fullmatch(number):
            errors.add(field, SIP_LOGIN_MESSAGE)
    elif not PHONE_NUMBER.fullmatch(number):
        errors.add(field, PHONE_NUMBER_MESSAGE)


def check_extension(errors: FieldErrors, extension: str, *, is_extension: bool, field: str = "extension") -> None:
    """An extension is digits callers type; an extension number cannot be without one."""
    if extension:
        if not EXTENSION.fullmatch(extension):
            errors.add(field, EXTENSION_MESSAGE)
    elif is_extension:
        errors.add(field, EXTENSION_NEEDED_MESSAGE)


def check_caller_id(errors: FieldErrors, number: str, *, field: str = "extFromPhoneNumber") -> None:
    """The number extensions see calling when a caller is put through; empty means none."""
    if number and not PHONE_NUMBER.fullmatch(number):
        errors.add(field, PHONE_NUMBER_MESSAGE)


def _password_problem(password: str) -> str | None:
    if len(password) < PASSWORD_MIN_LENGTH:
        return f"At least {PASSWORD_MIN_LENGTH} characters."
    if len(password) > PASSWORD_MAX_LENGTH:
        return f"At most {PASSWORD_MAX_LENGTH} characters."
    return None


def check_password(errors: FieldErrors, password: str, *, field: str = "password", within: str | None = None) -> None:
    problem = _password_problem(password)
    if problem:
        errors.add(field, problem, within=within)


def require_password(password: str) -> None:
    """A write whose only field under a rule is a user's password."""
    errors = FieldErrors()
    check_password(errors, password)
    errors.raise_if_any()


class PasswordLengthValidator:
    """The same length rule for Django's own password forms (the console's password change), named in
    AUTH_PASSWORD_VALIDATORS."""

    def validate(self, password: str, user=None) -> None:
        problem = _password_problem(password)
        if problem:
            raise ValidationError(problem, code="password_length")

    def get_help_text(self) -> str:
        return f"Your password needs {PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters."
