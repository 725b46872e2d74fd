"""Field rules (a number's shape, an extension's digits, a password's length) are the services': the
API, the console, a CSV import and the createcsp command refuse the same input with the same code and
message, and store nothing."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.management import CommandError, call_command

from autoattendant.choices import Role
from autoattendant.models import AuditEntry, Enterprise, NumberImport, Organisation, PhoneNumber, User
from autoattendant.services import number_imports
from telephony.models import NumberRoute, SipClient
from tests.conftest import PASSWORD, assert_error, assert_ok

pytestmark = pytest.mark.django_db

PN = "/autoattendant/phonenumber"
CLIENT_PASSWORD = "s3cret-pass"


@dataclass(frozen=True)
class Number:
    """One number as a CSP admin would enter it; `kind` is `aa`, `number` (extension) or `client`."""

    number: str
    kind: str = "aa"
    extension: str = ""

    @property
    def is_extension(self) -> bool:
        return self.kind != "aa"

    def api(self, enterprise_sid: str) -> dict:
        body = {"number": self.number, "enterpriseSid": enterprise_sid, "isExtension": self.is_extension}
        if self.extension:
            body["extension"] = self.extension
        if self.is_extension:
            body["extensionType"] = self.kind
        if self.kind == "client":
            body["extensionClientPassword"] = CLIENT_PASSWORD
        return body

    def form(self, enterprise_sid: str) -> dict:
        form = {"enterprise": enterprise_sid, "number": self.number, "extension": self.extension}
        if self.is_extension:
            form.update(is_extension="on", extension_type=self.kind)
        if self.kind == "client":
            form["extension_client_password"] = CLIENT_PASSWORD
        return form

    def csv(self) -> str:
        kind = self.kind if self.is_extension else ""
        password = CLIENT_PASSWORD if self.kind == "client" else ""
        return f"number,extension,type,name,clientPassword\n{self.number},{self.extension},{kind},Row,{password}\n"


BAD_NUMBERS = [
    pytest.param(Number("+1 415 555"), "number", id="spaces"),
    pytest.param(Number("abc"), "number", id="letters-in-an-aa-number"),
    pytest.param(Number("+1(415)555"), "number", id="brackets"),
    pytest.param(Number("1234567890123456"), "number", id="16-digits"),
    pytest.param(Number("+"), "number", id="a-plus-alone"),
    pytest.param(Number("call-me", "number", "201"), "number", id="letters-in-a-number-extension"),
    pytest.param(Number("alice smith", "client", "202"), "number", id="client-login-with-a-space"),
    pytest.param(Number("+14155550201", "number", "x1"), "extension", id="x1-as-extension"),
    pytest.param(Number("+14155550201", "number", "12345678901"), "extension", id="11-digit-extension"),
    pytest.param(Number("+14155550100", "aa", "1a"), "extension", id="letters-in-an-aa-numbers-extension"),
]
GOOD_NUMBERS = [
    pytest.param(Number("1234234234"), id="the-references-example"),
    pytest.param(Number("+14155550100"), id="e164"),
    pytest.param(Number("123456789012345"), id="15-digits"),
    pytest.param(Number("1671331777", "number", "101"), id="number-extension"),
    pytest.param(Number("alice.smith_1", "client", "202"), id="client-login"),
    pytest.param(Number("+14155550202", "client", "203"), id="client-registering-under-its-number"),
]


@pytest.fixture
def console(client, tenant):
    client.force_login(tenant.csp_admin)
    return client


def assert_nothing_stored() -> None:
    assert not PhoneNumber.objects.exists()
    assert not NumberRoute.objects.exists() and not SipClient.objects.exists()
    assert not AuditEntry.objects.filter(object_type="phonenumber").exists()


def api_refusal(tenant, body: dict, field: str) -> list[str]:
    """The API's 400 for this body: its messages about `field`, the only field it names."""
    error = assert_error(tenant.csp.post(PN, body), 400)
    assert error["message"] == "Validation failed" and list(error["errors"]) == [field], error
    assert error["data"]["number"] == body["number"]  # the request, echoed
    return error["errors"][field]


def import_rows(tenant, text: str) -> NumberImport:
    """A CSV import run to its end, as the Celery task runs it."""
    job = number_imports.start_import(tenant.csp_admin, enterprise_sid=tenant.enterprise.sid, data=text.encode())
    while number_imports.run(job.pk, budget=0.0):
        pass
    job.refresh_from_db()
    assert job.status == NumberImport.Status.DONE
    return job


@pytest.mark.parametrize(("entry", "field"), BAD_NUMBERS)
def test_a_bad_number_is_refused_alike_by_the_api_the_console_and_a_csv_row(tenant, console, entry, field):
    messages = api_refusal(tenant, entry.api(tenant.enterprise.sid), field)
    assert_nothing_stored()

    page = console.post("/console/numbers/new/", entry.form(tenant.enterprise.sid))
    assert page.status_code == 400
    assert page.context["form"].errors == {field: [f"{message} (400)" for message in messages]}
    assert_nothing_stored()

    job = import_rows(tenant, entry.csv())
    assert job.created == 0
    assert job.failures == [
        {"row": 2, "number": entry.number, "code": 400, "message": f"Validation failed: {field}: {messages[0]}"}
    ]
    assert_nothing_stored()


def test_an_extension_flag_without_extension_is_refused_by_the_api_and_the_console(tenant, console):
    # A CSV row is an extension only when it has one, so only the API and the console can ask for this.
    for body in ({"isExtension": True}, {"isExtension": True, "extension": ""}):
        messages = api_refusal(
            tenant, {"number": "+14155550201", "enterpriseSid": tenant.enterprise.sid, **body}, "extension"
        )
        assert messages == ["An extension number needs its extension."]
    page = console.post("/console/numbers/new/", Number("+14155550201", "number").form(tenant.enterprise.sid))
    assert page.status_code == 400
    assert page.context["form"].errors == {"extension": ["An extension number needs its extension. (400)"]}
    assert_nothing_stored()


@pytest.mark.parametrize("entry", GOOD_NUMBERS)
def test_a_good_number_is_accepted_everywhere(tenant, console, entry):
    data = assert_ok(tenant.csp.post(PN, entry.api(tenant.enterprise.sid)), 201)
    assert data["number"] == entry.number and data["isExtension"] == entry.is_extension
    PhoneNumber.objects.all().delete()
    SipClient.objects.all().delete()
    NumberRoute.objects.all().delete()

    page = console.post("/console/numbers/new/", entry.form(tenant.enterprise.sid))
    assert page.status_code == 302, page.context["form"].errors
    assert PhoneNumber.objects.get().number == entry.number
    PhoneNumber.objects.all().delete()
    SipClient.objects.all().delete()
    NumberRoute.objects.all().delete()

    job = import_rows(tenant, entry.csv())
    assert job.failures == [] and job.created == 1
    assert PhoneNumber.objects.get().number == entry.number


def test_an_update_is_held_to_the_same_rules(tenant, console):
    extension = assert_ok(tenant.csp.post(PN, Number("1671331777", "number", "101").api(tenant.enterprise.sid)), 201)
    path = f"{PN}/{extension['sid']}"
    error = assert_error(tenant.csp.put(path, {"number": "call-me"}), 400)
    assert error["errors"] == {"number": [error["errors"]["number"][0]]} and "digits" in error["errors"]["number"][0]
    assert assert_error(tenant.csp.put(path, {"extension": "x1"}), 400)["errors"] == {
        "extension": ["Digits only, at most 10 (e.g. 201)."]
    }
    # A number-type extension named by its login becomes a client only with a login that is one.
    error = assert_error(tenant.csp.put(path, {"extensionType": "client", "number": "bob smith"}), 400)
    assert list(error["errors"]) == ["number"] and "SIP client login" in error["errors"]["number"][0]
    page = console.post(f"/console/numbers/{extension['sid']}/", {"extension": "x1", "extension_type": "number"})
    assert page.status_code == 400
    assert page.context["form"].errors == {"extension": ["Digits only, at most 10 (e.g. 201). (400)"]}
    stored = PhoneNumber.objects.get(sid=extension["sid"])
    assert (stored.number, stored.extension, stored.extension_type) == ("1671331777", "101", "number")


def test_a_number_stored_under_the_older_rule_is_checked_only_when_its_number_is_written(tenant):
    legacy = PhoneNumber.objects.create(
        organisation_id=tenant.csp_admin.organisation_id, enterprise=tenant.enterprise, number="call-me"
    )
    data = assert_ok(tenant.csp.put(f"{PN}/{legacy.sid}", {"friendlyName": "Old line"}))
    assert data["number"] == "call-me" and data["friendlyName"] == "Old line"
    assert list(assert_error(tenant.csp.put(f"{PN}/{legacy.sid}", {"number": "call-me-2"}), 400)["errors"]) == [
        "number"
    ]
    assert assert_ok(tenant.csp.put(f"{PN}/{legacy.sid}", {"number": "+14155550999"}))["number"] == "+14155550999"


# The enterprise's caller ID (extFromPhoneNumber) is a phone number too.


@pytest.mark.parametrize("caller_id", ["call-me", "abc", "+1 415 555", "1234567890123456"])
def test_a_bad_caller_id_is_refused_alike_by_the_api_and_the_console(tenant, console, caller_id):
    body = {"name": "Initech", "enterpriseAdmin": {"emailId": "bill@initech.test", "password": PASSWORD}}
    error = assert_error(tenant.csp.post("/autoattendant/enterprise", {**body, "extFromPhoneNumber": caller_id}), 400)
    assert error["message"] == "Validation failed" and list(error["errors"]) == ["extFromPhoneNumber"]
    messages = error["errors"]["extFromPhoneNumber"]
    form = {"name": "Initech", "admin_email": "bill@initech.test", "admin_password": PASSWORD}
    page = console.post("/console/enterprises/new/", {**form, "ext_from_phone_number": caller_id})
    assert page.status_code == 400
    assert page.context["form"].errors == {"ext_from_phone_number": [f"{m} (400)" for m in messages]}
    assert not Enterprise.objects.filter(name="Initech").exists()
    assert not User.objects.filter(email_id="bill@initech.test").exists()

    sid = tenant.enterprise.sid
    update = assert_error(tenant.csp.put(f"/autoattendant/enterprise/{sid}", {"extFromPhoneNumber": caller_id}), 400)
    assert update["errors"] == {"extFromPhoneNumber": messages}
    page = console.post(
        f"/console/enterprises/{sid}/",
        {"name": tenant.enterprise.name, "admin_email": tenant.bg_admin.email_id, "ext_from_phone_number": caller_id},
    )
    assert page.status_code == 400 and page.context["form"].errors == {
        "ext_from_phone_number": [f"{m} (400)" for m in messages]
    }
    assert Enterprise.objects.get(sid=sid).ext_from_phone_number == ""


@pytest.mark.parametrize("caller_id", ["1234234234", "+14155550100"])
def test_a_good_caller_id_is_stored(tenant, console, caller_id):
    sid = tenant.enterprise.sid
    assert (
        assert_ok(tenant.csp.put(f"/autoattendant/enterprise/{sid}", {"extFromPhoneNumber": caller_id}))[
            "extFromPhoneNumber"
        ]
        == caller_id
    )
    page = console.post(
        "/console/enterprises/new/",
        {"name": "Initech", "admin_email": "bill@initech.test", "admin_password": PASSWORD,
         "ext_from_phone_number": caller_id},
    )  # fmt: skip
    assert page.status_code == 302
    assert Enterprise.objects.get(name="Initech").ext_from_phone_number == caller_id


# Passwords: 8 to 128 characters, for every user however it is made.


@pytest.mark.parametrize(
    ("password", "message"),
    [("short", "At least 8 characters."), ("", "At least 8 characters."), ("x" * 129, "At most 128 characters.")],
)
def test_a_bad_password_is_refused_alike_everywhere(tenant, console, password, message):
    body = {
        "emailId": "new@acme.test",
        "password": password,
        "role": Role.BG_ADMIN,
        "enterpriseSid": tenant.enterprise.sid,
    }
    error = assert_error(tenant.csp.post("/autoattendant/user", body), 400)
    if password:  # an empty one is refused by the request's shape, before any rule
        assert error["message"] == "Validation failed" and error["errors"] == {"password": [message]}
        form = {"email_id": "new@acme.test", "password": password, "role": Role.BG_ADMIN,
                "enterprise": tenant.enterprise.sid}  # fmt: skip
        page = console.post("/console/users/new/", form)
        assert page.status_code == 400 and page.context["form"].errors == {"password": [f"{message} (400)"]}

        updated = assert_error(
            tenant.csp.put(f"/autoattendant/user/{tenant.aa_admin.sid}", {"password": password}), 400
        )
        assert updated["errors"] == {"password": [message]}

        body = {"name": "Initech", "enterpriseAdmin": {"emailId": "bill@initech.test", "password": password}}
        error = assert_error(tenant.csp.post("/autoattendant/enterprise", body), 400)
        assert error["errors"] == {"enterpriseAdmin": [f"password: {message}"]}
        form = {"name": "Initech", "admin_email": "bill@initech.test", "admin_password": password}
        page = console.post("/console/enterprises/new/", form)
        assert page.status_code == 400
        assert page.context["form"].errors == {"admin_password": [f"password: {message} (400)"]}
    assert not User.objects.filter(email_id__in=["new@acme.test", "bill@initech.test"]).exists()
    assert not Enterprise.objects.filter(name="Initech").exists()
    assert User.objects.get(pk=tenant.aa_admin.pk).check_password(PASSWORD)

    with pytest.raises(CommandError, match=rf"400 Validation failed: password: {message}"):
        call_command("createcsp", "--name", "Hooli", "--email", "ops@hooli.test", "--password", password)
    assert not Organisation.objects.filter(name="Hooli").exists()


def test_the_console_password_change_keeps_the_same_length_rule(client, tenant):
    client.force_login(tenant.bg_admin)
    response = client.post(
        "/console/password/",
        {"old_password": PASSWORD, "new_password1": "short-1", "new_password2": "short-1"},
    )
    assert response.status_code == 200 and "At least 8 characters." in response.content.decode()
    tenant.bg_admin.refresh_from_db()
    assert tenant.bg_admin.check_password(PASSWORD)
