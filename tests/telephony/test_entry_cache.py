"""Who answers a number is cached (telephony/rcml/cache.py) and dropped by every change that moves it,
not left to expire: each change below is made through the services, committed (its on-commit steps
run), and the very next call to the number, with the entry cached just before, sees it. The
schedules are evaluated on the cached plan at each call, so a boundary is honoured to the second.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.test import Client, TestCase

from autoattendant.choices import ActionType, SystemStatus
from autoattendant.models import Menu
from autoattendant.services.phone_numbers import create_phone_number, delete_phone_number, update_phone_number
from autoattendant.services.schedules import create_schedule
from autoattendant.services.systems import update_system
from telephony.rcml.publish import publish
from telephony.rcml.verbs import INACTIVE_SYSTEM, MENU_HEADER, REFUSAL_HEADER, SYSTEM_HEADER, UNKNOWN_NUMBER
from tests.telephony.rcml_support import Attendant, option

NUMBER = "+14155550100"
OTHER = "+14155550200"
HEADERS = {"HTTP_AUTHORIZATION": f"Bearer {settings.EXECUTOR_TOKEN}"}


def entry(number: str, at: datetime | None = None):
    """The entry document, as the executor asks for it (the number as dialled: without `+`)."""
    params = {"To": number.lstrip("+"), "From": "+15555550100", "CallSid": "CA-entry-cache"}
    if at is not None:
        params["at"] = at.isoformat()
    body = urlencode(params)
    return Client().post("/rcml/voice", body, content_type="application/x-www-form-urlencoded", **HEADERS)


def answered_by(number: str) -> str:
    """What the entry's answer tells the executor: the AA system (X-AA-System), or why none
    (X-AA-Refusal)."""
    response = entry(number)
    if response.has_header(REFUSAL_HEADER):
        assert not response.has_header(SYSTEM_HEADER)
        assert response.status_code == (404 if response[REFUSAL_HEADER] == UNKNOWN_NUMBER else 200)
        return response[REFUSAL_HEADER]
    return response[SYSTEM_HEADER]


def menu_of(response) -> str:
    """The menu the entry document plays (its `X-AA-Menu` header)."""
    assert response.status_code == 200, response.content
    return response[MENU_HEADER]


def committed(change):
    """Run a service call as a committed request would: its on-commit steps (cache drops) run."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return change()


def build(tenant, number: str, name: str) -> Attendant:
    aa = Attendant.build(tenant, number)
    main = aa.menu("Main", [option("9", ActionType.HANGUP)], greeting=aa.announcement(name, text=f"This is {name}."))
    aa.set(default_menu=main)
    aa.main = main
    aa.publish()
    return aa


@pytest.fixture
def front(tenant) -> Attendant:
    return build(tenant, NUMBER, "Front desk")


@pytest.fixture
def back(tenant) -> Attendant:
    return build(tenant, OTHER, "Back office")


def test_a_publish_answers_the_next_call(front):
    assert menu_of(entry(NUMBER)) == front.main.sid  # cached now
    other = front.menu("Other", [option("9", ActionType.HANGUP)])
    front.set(default_menu=other)
    version = front.publish()
    response = entry(NUMBER)
    assert menu_of(response) == other.sid and f"/{version}/" in response.content.decode()


def test_a_number_added_to_a_system_answers_the_next_call(tenant, front):
    assert answered_by("+14155550111") == UNKNOWN_NUMBER and entry("+14155550111").status_code == 404  # "nobody" cached
    added = committed(
        lambda: create_phone_number(tenant.csp_admin, number="+14155550111", enterprise_sid=tenant.enterprise.sid)
    )
    numbers = [front.system.phone_numbers.get(number=NUMBER).sid, added.sid]
    committed(lambda: update_system(tenant.csp_admin, front.system.sid, aa_number_sids=numbers))
    assert answered_by("+14155550111") == front.system.sid
    assert menu_of(entry("+14155550111")) == front.main.sid


def test_a_number_removed_from_its_system_or_deleted_answers_nothing_at_once(tenant, front):
    assert answered_by(NUMBER) == front.system.sid and entry(NUMBER).status_code == 200
    committed(lambda: update_system(tenant.csp_admin, front.system.sid, aa_number_sids=[]))
    assert answered_by(NUMBER) == UNKNOWN_NUMBER and entry(NUMBER).status_code == 404
    sid = front.system.phone_numbers.model.objects.get(number=NUMBER).sid
    committed(lambda: delete_phone_number(tenant.csp_admin, sid))
    assert answered_by(NUMBER) == UNKNOWN_NUMBER


def test_a_number_moved_to_another_system_answers_with_it_at_once(tenant, front, back):
    assert menu_of(entry(NUMBER)) == front.main.sid
    moving = front.system.phone_numbers.get(number=NUMBER).sid
    committed(lambda: update_system(tenant.csp_admin, front.system.sid, aa_number_sids=[]))
    staying = back.system.phone_numbers.get(number=OTHER).sid
    committed(lambda: update_system(tenant.csp_admin, back.system.sid, aa_number_sids=[staying, moving]))
    assert answered_by(NUMBER) == back.system.sid
    assert menu_of(entry(NUMBER)) == back.main.sid


def test_a_number_changed_leaves_its_old_digits_at_once(tenant, front):
    assert entry(NUMBER).status_code == 200
    sid = front.system.phone_numbers.get(number=NUMBER).sid
    committed(lambda: update_phone_number(tenant.csp_admin, sid, number="+14155550122"))
    assert entry(NUMBER).status_code == 404 and answered_by(NUMBER) == UNKNOWN_NUMBER
    assert entry("+14155550122").status_code == 200


def test_a_system_deactivated_rejects_the_next_call_once_published(tenant, front):
    assert answered_by(NUMBER) == front.system.sid and entry(NUMBER).status_code == 200
    committed(lambda: update_system(tenant.csp_admin, front.system.sid, status=SystemStatus.INACTIVE))
    committed(lambda: publish(front.system.sid))  # the publish task the change queued
    assert answered_by(NUMBER) == INACTIVE_SYSTEM
    assert "<Reject" in entry(NUMBER).content.decode()


def test_a_system_deactivated_rejects_calls_even_when_its_publish_fails(tenant, front):
    """The compile fails (a menu names one that is gone, as a row changed behind the services'
    back): the version published still answers, but the system's new status does at once, not when
    the cached entry expires."""
    assert entry(NUMBER).status_code == 200
    committed(lambda: update_system(tenant.csp_admin, front.system.sid, status=SystemStatus.INACTIVE))
    gone = [{"key": "1", "actionType": "GO_TO_MENU", "actionData": "MN" + "0" * 32}]
    Menu.objects.filter(pk=front.main.pk).update(options=gone)
    assert committed(lambda: publish(front.system.sid)) is None
    front.system.refresh_from_db()
    assert front.system.publish_status == "FAILED"
    assert answered_by(NUMBER) == INACTIVE_SYSTEM and "<Reject" in entry(NUMBER).content.decode()


# Schedules: evaluated on the cached plan at each call, to the second.


@pytest.fixture
def office_hours(tenant) -> Attendant:
    """Open 09:00-17:00 Monday to Friday, New York time (the open menu); closed otherwise (default)."""
    aa = Attendant.build(tenant, NUMBER, timezone_id="America/New_York")
    closed = aa.menu("Closed", [option("9", ActionType.HANGUP)])
    opened = aa.menu("Open", [option("9", ActionType.HANGUP)])
    aa.set(default_menu=closed)
    days = ["MON", "TUE", "WED", "THU", "FRI"]
    create_schedule(
        tenant.csp_admin,
        name="Office",
        aa_system_sid=aa.system.sid,
        type="WORK_HOURS",
        menu_sid=opened.sid,
        weekly_ranges=[{"days": days, "start": "09:00", "end": "17:00"}],
    )
    aa.publish()
    aa.closed, aa.opened = closed, opened
    return aa


def test_schedule_boundaries_are_honoured_to_the_second_with_a_warm_cache(office_hours):
    # Thursday 3 December 2026, EST (UTC-5): opens 14:00:00 UTC, closes 22:00:00 UTC.
    opens, closes = datetime(2026, 12, 3, 14, 0, tzinfo=UTC), datetime(2026, 12, 3, 22, 0, tzinfo=UTC)
    second = timedelta(seconds=1)
    closed, opened = office_hours.closed.sid, office_hours.opened.sid
    expected = [(opens - second, closed), (opens, opened), (closes - second, opened), (closes, closed)]
    for _ in range(2):  # the second round from a cache warmed by the first
        for moment, menu in expected:
            assert menu_of(entry(NUMBER, at=moment)) == menu, moment
