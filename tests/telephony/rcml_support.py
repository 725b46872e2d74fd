"""What the RCML tests share: the RCML schema check, and AA systems built and published for real."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db.models import F
from django.test import TestCase
from lxml import etree

from autoattendant.choices import AnnouncementStatus, AnnouncementType, ExtensionType
from autoattendant.models import Announcement, AutoAttendantSystem, Menu, PhoneNumber
from autoattendant.services.phone_numbers import create_phone_number
from autoattendant.services.systems import create_system
from telephony import simulator
from telephony.rcml.publish import publish

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "telephony" / "rcml" / "rcml.xsd"
SCHEMA = etree.XMLSchema(etree.parse(str(SCHEMA_PATH)))


def assert_valid_rcml(document: str | bytes, where: str = "") -> None:
    """The document is RCML as telephony/rcml/rcml.xsd describes it (chapter 3 of the reference)."""
    if isinstance(document, str):
        document = document.encode()
    root = etree.fromstring(document)
    if not SCHEMA.validate(root):
        errors = "; ".join(f"line {e.line}: {e.message}" for e in SCHEMA.error_log)
        raise AssertionError(f"{where} is not valid RCML: {errors}\n{document.decode()}")


def walk(number: str, keys: str | list[str] = "", at=None, **kwargs) -> dict[str, Any]:
    """The simulator, with every document it is served checked against the schema."""
    served: list[tuple[str, int]] = []

    def check(url: str, status: int, body: bytes) -> None:
        served.append((url, status))
        assert_valid_rcml(body, f"{url} ({status})")

    trace = simulator.simulate(number, at, simulator.parse_keys(keys), on_document=check, **kwargs)
    assert served and len(served) == len([e for e in trace["events"] if "fetch" in e])
    return trace


def verbs(trace: dict[str, Any], verb: str) -> list[dict[str, Any]]:
    return [event for event in trace["events"] if event.get("verb") == verb]


def said(trace: dict[str, Any]) -> list[str]:
    return [event["text"] for event in verbs(trace, "Say")]


def played(trace: dict[str, Any]) -> list[str | None]:
    return [event["announcementSid"] for event in verbs(trace, "Play")]


@dataclass
class Attendant:
    """An AA system of a tenant's enterprise, its AA number and extensions, built through the services
    (numbers, system) and the ORM (menus, announcements), and published as the compile task does."""

    tenant: Any
    number: str
    system: AutoAttendantSystem
    extensions: dict[str, PhoneNumber] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        tenant,
        number: str = "+14155550100",
        extensions: tuple[tuple[str, str, str], ...] = (),
        **system_fields,
    ) -> Attendant:
        """`extensions`: (extension, spoken name, type) triples; numbers are made up from the extension."""
        actor = tenant.csp_admin
        enterprise_sid = tenant.enterprise.sid
        aa_number = create_phone_number(actor, number=number, enterprise_sid=enterprise_sid)
        created = {}
        for digits, name, kind in extensions:
            extra = {"extension_client_password": "secret-123"} if kind == ExtensionType.CLIENT else {}
            created[digits] = create_phone_number(
                actor,
                number=f"ext{digits}{number[-4:]}" if kind == ExtensionType.CLIENT else f"+1650555{digits:0>4}",
                enterprise_sid=enterprise_sid,
                is_extension=True,
                extension=digits,
                extension_spoken_name=name,
                extension_type=kind,
                **extra,
            )
        system = create_system(
            actor,
            name=f"Reception {number}",
            enterprise_sid=enterprise_sid,
            aa_number_sids=[aa_number.sid],
            extension_sids=[ext.sid for ext in created.values()],
            **system_fields,
        )
        return cls(tenant=tenant, number=number, system=system, extensions=created)

    def announcement(self, name: str = "Greeting", *, text: str = "", audio: bool = False, status=None):
        return Announcement.objects.create(
            enterprise=self.tenant.enterprise,
            name=name,
            type=AnnouncementType.AUDIO if audio else AnnouncementType.TTS,
            text="" if audio else (text or f"This is {name}."),
            status=status or AnnouncementStatus.READY,
        )

    def menu(self, name: str = "Main menu", options=(), *, greeting=None, dial_by_extension=False) -> Menu:
        return Menu.objects.create(
            aa_system=self.system,
            name=name,
            greeting_announcement=greeting,
            allow_dial_by_extension=dial_by_extension,
            options=list(options),
        )

    def set(self, **fields) -> None:
        for name, value in fields.items():
            setattr(self.system, name, value)
        self.system.save(update_fields=list(fields))

    def publish(self) -> int:
        """Bump the configuration version and publish it, as a committed change and its task do
        (the publish's on-commit step, which points the Redis cache at the new version, included)."""
        AutoAttendantSystem.objects.filter(pk=self.system.pk).update(config_version=F("config_version") + 1)
        with TestCase.captureOnCommitCallbacks(execute=True):
            version = publish(self.system.sid)
        self.system.refresh_from_db()
        assert version is not None and self.system.published_version == version, self.system.publish_error
        return version

    def ext(self, digits: str) -> PhoneNumber:
        return self.extensions[digits]


def option(key: str, action_type: str, data: str | None = None) -> dict[str, str]:
    out = {"key": key, "actionType": action_type}
    if data is not None:
        out["actionData"] = data
    return out


def action(action_type: str, data: str | None = None) -> dict[str, str]:
    out = {"actionType": action_type}
    if data is not None:
        out["actionData"] = data
    return out
