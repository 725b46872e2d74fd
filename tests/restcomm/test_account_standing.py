"""A suspended account's numbers refuse calls, a closed one's are out of service, at once (the cached
entries are dropped when an account's status changes) — an account above counts too."""

from __future__ import annotations

import pytest

from telephony.models import NumberRoute, TelephonyAccount
from telephony.rcml.verbs import INACTIVE_ACCOUNT, REFUSAL_HEADER
from telephony.rcml.cache import forget_entries
from tests.restcomm.conftest import PREFIX, Restcomm
from tests.telephony.test_rcml_apps import APP, APP_NUMBER, entry

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_suspended_account_s_numbers_refuse_calls_until_it_is_active_again(restcomm, tenant):
    account = TelephonyAccount.objects.get(enterprise_sid=tenant.enterprise.sid)
    NumberRoute.objects.create(number=APP_NUMBER, account=account, voice_url=APP)
    assert entry(APP_NUMBER).status_code == 200  # answered, and now cached

    def status(sid: str, value: str) -> None:
        response = restcomm.post(f"{PREFIX}/Accounts/{sid}.json", {"Status": value})
        assert response.status_code == 200, response.content

    status(account.sid, "suspended")
    refused = entry(APP_NUMBER)
    assert refused.status_code == 200 and refused[REFUSAL_HEADER] == INACTIVE_ACCOUNT
    status(account.sid, "active")
    assert not entry(APP_NUMBER).has_header(REFUSAL_HEADER)
    # A number of a sub-account's sub-account: suspending the account between them refuses it too.
    sub = restcomm.post(f"{PREFIX}/Accounts.json", {"EmailAddress": "apps@acme.test", "Password": "restcomm1"}).body
    below = (
        Restcomm(sub["sid"], sub["auth_token"])
        .post(f"{PREFIX}/Accounts.json", {"EmailAddress": "app2@acme.test", "Password": "restcomm1"})
        .body
    )
    NumberRoute.objects.filter(number=APP_NUMBER).update(account=TelephonyAccount.objects.get(sid=below["sid"]))
    forget_entries([APP_NUMBER])
    assert entry(APP_NUMBER).status_code == 200
    status(sub["sid"], "suspended")
    assert entry(APP_NUMBER)[REFUSAL_HEADER] == INACTIVE_ACCOUNT
    status(sub["sid"], "closed")
    assert entry(APP_NUMBER).status_code == 404  # no longer in service
