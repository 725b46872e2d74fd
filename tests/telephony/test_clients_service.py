"""SIP clients have one service (telephony/clients.py), whichever API a client comes through: on an
enterprise's account a Client is a `client` extension of that enterprise, on any other a SipClient
only; the password policy, the login rules, disabling and deleting are the same for both."""

from __future__ import annotations

import pytest
from django.db import connection

from autoattendant.choices import ExtensionType
from autoattendant.errors import AAError
from autoattendant.models import AuditEntry, PhoneNumber
from autoattendant.services.phone_numbers import create_phone_number
from autoattendant.services.systems import create_system
from telephony import clients
from telephony.models import Registration, SipClient, TelephonyAccount
from tests.sip_edge_rows import insert_binding

PASSWORD = "Pass-word-1"


@pytest.fixture
def enterprise_account(tenant) -> TelephonyAccount:
    return TelephonyAccount.objects.get(enterprise_sid=tenant.enterprise.sid)


@pytest.fixture
def plain_account(db) -> TelephonyAccount:
    return TelephonyAccount.objects.create(friendly_name="A sub-account", email_address="sub@example.test")


def subscribers() -> list[str]:
    """The logins the SIP edge's registrar can find."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT username FROM sip_edge_subscriber ORDER BY username")
        return [row[0] for row in cursor.fetchall()]


def bind(login: str) -> None:
    with connection.cursor() as cursor:
        insert_binding(cursor, login)


def error_of(call, *args, **kwargs) -> AAError:
    with pytest.raises(AAError) as raised:
        call(*args, **kwargs)
    return raised.value


def test_client_on_an_enterprise_account_is_a_client_extension(tenant, enterprise_account):
    client = clients.create_client(enterprise_account, login="alice", password=PASSWORD, voice_method="get")
    extension = PhoneNumber.objects.get(sid=client.phone_number_sid)
    assert extension.enterprise == tenant.enterprise
    assert (extension.number, extension.is_extension, extension.extension_type) == ("alice", True, "client")
    assert extension.extension == "100"
    assert (client.login, client.password, client.friendly_name, client.voice_method) == (
        "alice",
        PASSWORD,
        "alice",
        "GET",
    )
    assert client.account == enterprise_account
    assert "alice" in subscribers()
    # The audit trail names the account that made it, never the password.
    entry = AuditEntry.objects.get(object_sid=extension.sid, action="create")
    assert entry.actor_email == enterprise_account.sid
    assert PASSWORD not in str(entry.after)


def test_extensions_of_restcomm_clients_follow_the_highest(tenant, enterprise_account):
    create_phone_number(
        tenant.csp_admin, number="1671331777", enterprise_sid=tenant.enterprise.sid, is_extension=True, extension="205"
    )
    client = clients.create_client(enterprise_account, login="bob", password=PASSWORD)
    assert PhoneNumber.objects.get(sid=client.phone_number_sid).extension == "206"


def test_client_on_a_plain_account_is_a_sip_client_only(plain_account):
    client = clients.create_client(plain_account, login="carol", password=PASSWORD, friendly_name="Carol")
    assert client.phone_number_sid is None
    assert client.friendly_name == "Carol"
    assert not PhoneNumber.objects.exists()
    assert "carol" in subscribers()


@pytest.mark.parametrize("account", ["enterprise_account", "plain_account"])
def test_bad_input_writes_nothing(request, account):
    account = request.getfixturevalue(account)
    cases = [
        ({"login": "dave", "password": None}, 495, None),
        ({"login": "dave", "password": ""}, 495, None),
        ({"login": "dave", "password": "test"}, 494, "Password"),
        ({"login": "dave", "password": "NewPassword"}, 494, "Password"),
        ({"login": "da ve", "password": PASSWORD}, 400, "Login"),
        ({"login": "", "password": PASSWORD}, 400, "Login"),
        ({"login": "dave", "password": PASSWORD, "voice_method": "PUT"}, 400, "VoiceMethod"),
        ({"login": "dave", "password": PASSWORD, "voice_url": "ftp://example.test/x"}, 400, "VoiceUrl"),
        ({"login": "dave", "password": PASSWORD, "status_callback": "/relative"}, 400, "StatusCallback"),
    ]
    for kwargs, code, field in cases:
        error = error_of(clients.create_client, account, **kwargs)
        assert error.error_code.code == code, kwargs
        if field:
            assert field in error.errors, kwargs
    assert not SipClient.objects.exists()
    assert not PhoneNumber.objects.exists()
    assert not AuditEntry.objects.filter(object_type="phonenumber").exists()


def test_a_login_is_one_client_across_accounts(tenant, enterprise_account, plain_account):
    clients.create_client(plain_account, login="erin", password=PASSWORD)
    error = error_of(clients.create_client, enterprise_account, login="erin", password="Other-pass-2")
    assert error.error_code.code == 494 and "Login" in error.errors
    # Nor can the CSP API make an extension of that login.
    with pytest.raises(AAError) as raised:
        create_phone_number(
            tenant.csp_admin,
            number="erin",
            enterprise_sid=tenant.enterprise.sid,
            is_extension=True,
            extension="300",
            extension_type=ExtensionType.CLIENT,
            extension_client_password="Other-pass-2",
        )
    assert raised.value.error_code.code == 494
    assert SipClient.objects.get(login="erin").account == plain_account
    assert not PhoneNumber.objects.exists()


def test_disabled_client_leaves_the_registrar_with_its_bindings(plain_account):
    client = clients.create_client(plain_account, login="frank", password=PASSWORD)
    bind("frank")
    clients.update_client(client, enabled=False)
    assert "frank" not in subscribers()
    assert not Registration.objects.filter(username="frank").exists()
    clients.update_client(client, enabled=True)
    assert "frank" in subscribers()
    created = clients.create_client(plain_account, login="grace", password=PASSWORD, enabled=False)
    assert not created.enabled and "grace" not in subscribers()


def test_update_changes_the_password_and_an_extensions_friendly_name(enterprise_account):
    client = clients.create_client(enterprise_account, login="heidi", password=PASSWORD)
    clients.update_client(client, password="NewPassword1", friendly_name="Heidi", voice_url="http://127.0.0.1/app")
    client.refresh_from_db()
    assert (client.password, client.friendly_name, client.voice_url) == (
        "NewPassword1",
        "Heidi",
        "http://127.0.0.1/app",
    )
    assert PhoneNumber.objects.get(sid=client.phone_number_sid).friendly_name == "Heidi"
    # A refused change changes nothing.
    for kwargs in ({"password": "short"}, {"password": "", "friendly_name": "x"}, {"voice_method": "HEAD"}):
        with pytest.raises(AAError):
            clients.update_client(client, **kwargs)
    client.refresh_from_db()
    assert (client.password, client.friendly_name, client.voice_method) == ("NewPassword1", "Heidi", "POST")


def test_delete_removes_the_extension_and_the_bindings(tenant, enterprise_account, plain_account):
    extension_client = clients.create_client(enterprise_account, login="ivan", password=PASSWORD)
    plain_client = clients.create_client(plain_account, login="judy", password=PASSWORD)
    bind("ivan")
    bind("judy")
    clients.delete_client(extension_client)
    clients.delete_client(plain_client)
    assert not SipClient.objects.exists()
    assert not PhoneNumber.objects.exists()
    assert not Registration.objects.exists()
    assert AuditEntry.objects.filter(object_type="phonenumber", action="delete").count() == 1


def test_an_extension_in_an_aa_system_is_not_deleted(tenant, enterprise_account):
    client = clients.create_client(enterprise_account, login="kim", password=PASSWORD)
    create_system(
        tenant.csp_admin,
        name="Front desk",
        enterprise_sid=tenant.enterprise.sid,
        timezone_id="UTC",
        extension_sids=[client.phone_number_sid],
    )
    assert error_of(clients.delete_client, client).error_code.code == 508
    assert SipClient.objects.filter(login="kim").exists()
