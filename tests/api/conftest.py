"""Fixtures of the API tests."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command


@pytest.fixture(scope="session")
def openapi_schema(django_db_blocker) -> dict:
    """The OpenAPI schema as `manage.py spectacular --validate --fail-on-warn` writes it, made once."""
    out = io.StringIO()
    with django_db_blocker.unblock():
        call_command("spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", stdout=out)
    return json.loads(out.getvalue())
