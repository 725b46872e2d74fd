"""Create a CSP: its organisation, first CSP admin, HMAC key and telephony account, printed as JSON."""

from __future__ import annotations

import json as jsonlib

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from autoattendant.errors import AAError
from autoattendant.services.organisations import create_csp


class Command(BaseCommand):
    help = "Create a communication service provider with its CSP_ADMIN user and HMAC key."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="The CSP's name.")
        parser.add_argument("--email", required=True, help="Email of its first CSP_ADMIN user.")
        parser.add_argument("--password", help="Console password for that user (none: API token only).")
        parser.add_argument("--json", action="store_true", help="Print one JSON object (for scripts).")

    def handle(self, *args, name: str, email: str, password: str | None, **options):
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"Not an email address: {email}") from None
        try:
            csp = create_csp(name=name, email_id=email, password=password)
        except AAError as exc:
            at_fault = ", ".join(f"{key} {value}" for key, value in exc.data.items()) if exc.data else email
            raise CommandError(f"{exc.error_code.code} {exc.describe()} ({at_fault})") from None
        result = {
            "organisationSid": csp.organisation.sid,
            "userSid": csp.user.sid,
            "emailId": csp.user.email_id,
            "authToken": csp.auth_token,
            "hmacKeySid": csp.hmac_key.sid,
            "hmacKey": csp.hmac_key.key,
            "accountSid": csp.account.sid,
            "accountAuthToken": csp.account.auth_token,
        }
        if options["json"]:
            self.stdout.write(_json_dumps(result))
        else:
            for key, value in result.items():
                self.stdout.write(f"{key}: {value}")
            self.stdout.write(
                "The auth token and HMAC key are shown once; keep them safe. The account's credentials "
                "(the Restcomm API's) are shown to CSP admins in the console."
            )


def _json_dumps(value) -> str:
    return jsonlib.dumps(value)
