"""The call simulator through real AA systems: built through the services and the ORM, compiled and
published as the Celery task does it, and walked through the executor's endpoints. Every document
served during every walk is checked against telephony/rcml/rcml.xsd (rcml_support.walk).

Issue 3: every action type and every policy through the simulator; timeouts and invalid input up to
their max then the action; the management command and the API endpoint.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from autoattendant.choices import ActionType, ExtensionType, ScheduleType, SystemStatus
from autoattendant.models import Schedule
from telephony.rcml.compiler import PROMPTS
from telephony.simulator import parse_keys, simulate
from tests.conftest import assert_error, assert_ok
from tests.telephony.rcml_support import Attendant, action, option, played, said, verbs, walk

NUMBER = "+14155550100"
NO_INPUT, INVALID, INVALID_EXTENSION = PROMPTS["no_input"], PROMPTS["invalid_input"], PROMPTS["invalid_extension"]


class Office:
    """Acme's reception: a main menu with a key for every action type, two levels of submenus, a
    directory of named extensions (two of them start alike) and a SIP client extension."""

    def __init__(self, tenant):
        self.aa = Attendant.build(
            tenant,
            NUMBER,
            extensions=(
                ("101", "Alice Smith", ExtensionType.NUMBER),
                ("102", "Bob Stone", ExtensionType.NUMBER),
                ("103", "Alicia Keys", ExtensionType.NUMBER),
                ("107", "", ExtensionType.CLIENT),
            ),
        )
        aa = self.aa
        self.greeting = aa.announcement("Welcome", text="Welcome to Acme.")
        self.bye = aa.announcement("Bye", text="Goodbye from Acme.")
        self.hours = aa.announcement("Hours", audio=True)
        self.support = aa.menu("Support")
        self.sales = aa.menu("Sales")
        self.main = aa.menu("Main", greeting=self.greeting)
        self.main.options = [
            option("1", ActionType.GO_TO_MENU, self.sales.sid),
            option("2", ActionType.TRANSFER_TO_EXTENSION, aa.ext("102").sid),
            option("3", ActionType.TRANSFER_TO_NUMBER, "+442071234567"),
            option("4", ActionType.DIAL_BY_EXTENSION),
            option("5", ActionType.DIAL_BY_NAME),
            option("6", ActionType.VOICEMAIL),
            option("7", ActionType.VOICEMAIL, aa.ext("101").sid),
            option("8", ActionType.ANNOUNCEMENT_HANGUP, self.bye.sid),
            option("9", ActionType.ANNOUNCEMENT_RETURN, self.hours.sid),
            option("0", ActionType.TRANSFER_TO_OPERATOR),
            option("*", ActionType.HANGUP),
            option("#", ActionType.REPEAT_MENU),
        ]
        self.main.save()
        self.sales.options = [
            option("1", ActionType.RETURN_TO_PREVIOUS_MENU),
            option("2", ActionType.GO_TO_MENU, self.support.sid),
            option("3", ActionType.TRANSFER_TO_EXTENSION, aa.ext("107").sid),
        ]
        self.sales.save()
        self.support.options = [
            option("8", ActionType.RETURN_TO_PREVIOUS_MENU),
            option("9", ActionType.RETURN_TO_MAIN_MENU),
        ]
        self.support.save()
        aa.set(default_menu=self.main, operator_extension=aa.ext("101"))
        self.version = aa.publish()

    def ext(self, digits: str):
        return self.aa.ext(digits)


@pytest.fixture
def office(tenant) -> Office:
    return Office(tenant)


def gathers(trace) -> list[dict]:
    return verbs(trace, "Gather")


def inputs(trace) -> list[str]:
    return [event["input"] for event in trace["events"] if "input" in event]


def timeouts(trace) -> int:
    return sum(1 for event in trace["events"] if event.get("timeout") is True and "verb" not in event)


# The walk itself.


def test_keys_format():
    assert parse_keys("1,#,203") == ["1", "#", "203"]
    assert parse_keys(" 1 , 2 ") == ["1", "2"]
    assert parse_keys("1,,2") == ["1", "", "2"]
    assert parse_keys("") == [] and parse_keys(None) == []
    assert parse_keys(["3", " 4"]) == ["3", "4"]


def test_the_greeting_plays_and_the_caller_transfers(office):
    trace = walk(NUMBER, "2")
    events = trace["events"]
    assert events[0] == {"fetch": "/rcml/voice", "method": "POST", "via": "call", "status": 200}
    assert events[1] == {
        "verb": "Play",
        "announcementSid": office.greeting.sid,
        "url": f"/autoattendant/announcement/{office.greeting.sid}/audio.wav",
    }
    assert events[2] == {
        "verb": "Gather",
        "numDigits": 1,
        "timeout": 5,
        "finishOnKey": "",
        "menuSid": office.main.sid,
    }
    assert events[3] == {"input": "2"}
    assert events[4]["fetch"].startswith(f"/rcml/{office.aa.system.sid}/{office.version}/input/{office.main.sid}?")
    assert events[4]["via"] == "Gather"
    dial = events[5]
    assert dial["verb"] == "Dial" and dial["target"] == office.ext("102").number and dial["extension"] == "102"
    assert trace["outcome"] == {
        "type": "TRANSFER",
        "target": office.ext("102").number,
        "targetType": "number",
        "extension": "102",
    }
    assert trace["menuPath"] == [office.main.sid]


def test_no_key_is_a_timeout_up_to_the_max_then_the_timeout_action(office):
    office.aa.set(timeout_max_occurance=3, timeout_action=action(ActionType.TRANSFER_TO_NUMBER, "+15550001111"))
    office.aa.publish()
    trace = walk(NUMBER, "")
    assert len(gathers(trace)) == 3 and timeouts(trace) == 3  # two retries, then the action
    assert said(trace) == [NO_INPUT, NO_INPUT]
    assert played(trace) == [office.greeting.sid] * 3
    assert trace["outcome"] == {"type": "TRANSFER", "target": "+15550001111", "targetType": "number"}
    assert trace["menuPath"] == [office.main.sid]


def test_an_empty_entry_is_a_timeout_and_the_counter_resets_after_a_good_key(office):
    office.aa.set(timeout_max_occurance=2)
    office.aa.publish()
    # A timeout, then 1 (to Sales: counters reset), a timeout, then 1 (back to Main), then silence.
    trace = walk(NUMBER, "1,,1")
    assert inputs(trace) == ["1", "1"]
    assert trace["menuPath"] == [office.main.sid, office.sales.sid, office.main.sid]
    assert said(trace).count(NO_INPUT) == 2  # one retry in Main, one in Sales: 2 is the max in each
    assert trace["outcome"] == {"type": "HANGUP"}
    assert verbs(trace, "Hangup")


def test_invalid_input_up_to_the_max_then_the_invalid_input_action(office):
    office.aa.set(invalid_input_max_occurance=2, invalid_input_action=action(ActionType.VOICEMAIL))
    office.aa.publish()
    trace = walk(NUMBER, "1,7,7")  # Sales has no key 7
    assert trace["menuPath"] == [office.main.sid, office.sales.sid]
    assert said(trace) == [PROMPTS["select"], INVALID, PROMPTS["select"], PROMPTS["leave_message"]]
    assert trace["outcome"] == {"type": "VOICEMAIL", "box": "system"}


def test_invalid_extension_up_to_the_max_then_the_invalid_extension_action(office):
    office.aa.set(
        invalid_extension_max_occurance=3,
        invalid_extension_action=action(ActionType.TRANSFER_TO_OPERATOR),
    )
    office.aa.publish()
    trace = walk(NUMBER, "4,999,998,997")
    assert said(trace) == [
        PROMPTS["enter_extension"],
        INVALID_EXTENSION,
        PROMPTS["enter_extension"],
        INVALID_EXTENSION,
        PROMPTS["enter_extension"],
    ]
    assert [g["numDigits"] for g in gathers(trace)] == [1, 3, 3, 3]
    assert trace["outcome"] == {
        "type": "TRANSFER",
        "target": office.ext("101").number,
        "targetType": "number",
        "extension": "101",
    }


@pytest.mark.parametrize(
    "policy,keys",
    [("timeout", ""), ("invalid_input", "1,5,5,5"), ("invalid_extension", "4,1,2,3")],
)
@pytest.mark.parametrize(
    "policy_action,outcome",
    [
        (action(ActionType.HANGUP), {"type": "HANGUP"}),
        (action(ActionType.VOICEMAIL), {"type": "VOICEMAIL", "box": "system"}),
        (action(ActionType.TRANSFER_TO_NUMBER, "+15550002222"), {"type": "TRANSFER", "target": "+15550002222"}),
    ],
)
def test_every_policy_applies_its_action_at_its_max(office, policy, keys, policy_action, outcome):
    office.aa.set(**{f"{policy}_max_occurance": 3, f"{policy}_action": policy_action})
    office.aa.publish()
    trace = walk(NUMBER, keys)
    assert {key: trace["outcome"][key] for key in outcome} == outcome
    prompt = {"timeout": NO_INPUT, "invalid_input": INVALID, "invalid_extension": INVALID_EXTENSION}[policy]
    assert said(trace).count(prompt) == 2


def test_policy_announcement_then_hang_up(office):
    office.aa.set(timeout_max_occurance=1, timeout_action=action(ActionType.ANNOUNCEMENT_HANGUP, office.bye.sid))
    office.aa.publish()
    trace = walk(NUMBER, "")
    assert played(trace) == [office.greeting.sid, office.bye.sid]
    assert trace["outcome"] == {"type": "HANGUP"}


# Every action type.


def test_go_to_menu_and_return_to_previous_menu(office):
    trace = walk(NUMBER, "1,1,*")
    assert trace["menuPath"] == [office.main.sid, office.sales.sid, office.main.sid]
    assert trace["outcome"] == {"type": "HANGUP"}
    assert inputs(trace) == ["1", "1", "*"]
    # The submenu has no greeting: the system prompt asks for a selection.
    assert said(trace) == [PROMPTS["select"]]


def test_two_levels_down_return_to_previous_and_to_main(office):
    trace = walk(NUMBER, "1,2,8,2,9,*")
    main, sales, support = office.main.sid, office.sales.sid, office.support.sid
    assert trace["menuPath"] == [main, sales, support, sales, support, main]
    assert trace["outcome"] == {"type": "HANGUP"}
    # Back in Main after RETURN_TO_MAIN_MENU, the path is Main alone: RETURN_TO_PREVIOUS stays there.
    menu_fetches = [e["fetch"] for e in trace["events"] if "fetch" in e and "/menu/" in e["fetch"]]
    assert f"path={main}&" in menu_fetches[-1]


def test_repeat_menu(office):
    trace = walk(NUMBER, "#,#,*")
    assert played(trace) == [office.greeting.sid] * 3
    assert trace["menuPath"] == [office.main.sid]
    assert trace["outcome"] == {"type": "HANGUP"}


def test_transfer_to_a_client_extension(office):
    trace = walk(NUMBER, "1,3")
    assert trace["outcome"] == {
        "type": "TRANSFER",
        "target": office.ext("107").number,
        "targetType": "client",
        "extension": "107",
    }


def test_transfer_to_number(office):
    trace = walk(NUMBER, "3")
    assert trace["outcome"] == {"type": "TRANSFER", "target": "+442071234567", "targetType": "number"}
    assert verbs(trace, "Dial")[0]["timeout"] == 30


def test_transfer_to_number_unanswered_goes_back_to_the_menu(office):
    trace = walk(NUMBER, "3,*", dial_status="busy")
    assert said(trace) == [PROMPTS["unavailable"]]
    assert [e["via"] for e in trace["events"] if "fetch" in e] == ["call", "Gather", "Dial", "Redirect", "Gather"]
    assert played(trace) == [office.greeting.sid] * 2
    assert trace["outcome"] == {"type": "HANGUP"}


def test_transfer_to_operator(office):
    trace = walk(NUMBER, "0")
    assert trace["outcome"] == {
        "type": "TRANSFER",
        "target": office.ext("101").number,
        "targetType": "number",
        "extension": "101",
    }


def test_transfer_to_operator_without_an_operator(office):
    office.aa.set(operator_extension=None)
    office.aa.publish()
    trace = walk(NUMBER, "0,*")
    assert said(trace) == [PROMPTS["no_operator"]]
    assert played(trace) == [office.greeting.sid] * 2  # back to the menu
    assert trace["outcome"] == {"type": "HANGUP"}


def test_dial_by_extension(office):
    trace = walk(NUMBER, "4,103#")
    gather = gathers(trace)[1]
    assert (gather["numDigits"], gather["finishOnKey"]) == (3, "#")
    assert {"input": "103#", "digits": "103"} in trace["events"]  # the finishing key is not sent
    assert trace["outcome"]["extension"] == "103"
    assert trace["outcome"]["target"] == office.ext("103").number


def test_the_finishing_key_alone_submits_nothing(office):
    """As on a call: `#` before any digit ends the Gather with nothing to send, so it falls through."""
    trace = walk(NUMBER, "4,#")
    entry = trace["events"].index({"input": "#", "digits": ""})
    following = trace["events"][entry + 1]
    assert following["via"] == "Redirect" and "/extension-input?" in following["fetch"]
    assert PROMPTS["no_input"] in said(trace)  # the extension prompt's own timeout


def test_prompts_name_the_voice_the_caller_hears(office):
    """A <Say> without voice or language is said in Restcomm's defaults, the man's voice in English."""
    trace = walk(NUMBER, "4,103")
    prompt = next(event for event in verbs(trace, "Say") if event["text"] == PROMPTS["enter_extension"])
    assert (prompt["voice"], prompt["language"]) == ("man", "en") and "loop" not in prompt


def test_dial_by_extension_on_the_menu_itself(office):
    office.main.allow_dial_by_extension = True
    office.main.save()
    office.aa.publish()
    trace = walk(NUMBER, "103")
    assert gathers(trace)[0]["numDigits"] == 3 and gathers(trace)[0]["finishOnKey"] == ""  # "#" is a key
    assert trace["outcome"]["extension"] == "103"
    # A key is still a key; an unknown extension counts as an invalid extension.
    office.aa.set(invalid_extension_max_occurance=1, invalid_extension_action=action(ActionType.HANGUP))
    office.aa.publish()
    assert walk(NUMBER, "2")["outcome"]["extension"] == "102"
    trace = walk(NUMBER, "555")
    assert trace["outcome"] == {"type": "HANGUP"} and inputs(trace) == ["555"]


def test_dial_by_name_one_match(office):
    trace = walk(NUMBER, "5,262")  # B-O-B
    assert said(trace) == [PROMPTS["enter_name"], "Transferring to Bob Stone."]
    assert trace["outcome"]["extension"] == "102"


def test_dial_by_name_several_matches_are_read_back(office):
    trace = walk(NUMBER, "5,2542,2")  # A-L-I-C: Alice Smith and Alicia Keys
    assert said(trace) == [
        PROMPTS["enter_name"],
        "For Alice Smith, press 1. For Alicia Keys, press 2.",
    ]
    assert trace["outcome"]["extension"] == "103"


def test_dial_by_name_no_match_then_a_match(office):
    trace = walk(NUMBER, "5,999,262")
    assert said(trace) == [
        PROMPTS["enter_name"],
        PROMPTS["no_match"],
        PROMPTS["enter_name"],
        "Transferring to Bob Stone.",
    ]
    assert trace["outcome"]["extension"] == "102"


def test_voicemail_general_box_and_an_extensions_box(office):
    trace = walk(NUMBER, "6")
    assert trace["outcome"] == {"type": "VOICEMAIL", "box": "system"}
    record = verbs(trace, "Record")[0]
    assert record["maxLength"] == 120 and record["finishOnKey"] == "#" and record["playBeep"] is True
    assert said(trace) == [PROMPTS["leave_message"]]
    assert walk(NUMBER, "7")["outcome"] == {"type": "VOICEMAIL", "box": office.ext("101").sid}


def test_unanswered_transfer_to_an_extension_goes_to_its_voicemail(office):
    trace = walk(NUMBER, "2", dial_status="no-answer")
    assert verbs(trace, "Dial")[0]["dialCallStatus"] == "no-answer"
    dial_done = [e for e in trace["events"] if e.get("via") == "Dial"][0]
    assert "/dial-done?" in dial_done["fetch"] and "ext=102" in dial_done["fetch"]
    assert trace["outcome"] == {"type": "VOICEMAIL", "box": office.ext("102").sid}


def test_announcement_then_hang_up(office):
    trace = walk(NUMBER, "8")
    assert played(trace) == [office.greeting.sid, office.bye.sid]
    assert verbs(trace, "Play")[1]["url"] == f"/autoattendant/announcement/{office.bye.sid}/audio.wav"
    assert trace["outcome"] == {"type": "HANGUP"}
    assert trace["events"][-1] == {"verb": "Hangup"}


def test_announcement_then_return_to_the_menu(office):
    trace = walk(NUMBER, "9,*")
    assert played(trace) == [office.greeting.sid, office.hours.sid, office.greeting.sid]
    assert trace["menuPath"] == [office.main.sid]
    assert trace["outcome"] == {"type": "HANGUP"}


def test_hangup(office):
    trace = walk(NUMBER, "*")
    assert trace["outcome"] == {"type": "HANGUP"}


def test_tts_announcement_still_rendering_is_spoken(office):
    office.greeting.status = "PROCESSING"
    office.greeting.save()
    office.aa.publish()
    trace = walk(NUMBER, "*")
    assert played(trace) == []
    say = verbs(trace, "Say")[0]
    assert (say["text"], say["voice"], say["language"]) == ("Welcome to Acme.", "woman", "en")


def test_a_loop_without_end_is_reported(office):
    office.aa.set(timeout_max_occurance=1, timeout_action=action(ActionType.REPEAT_MENU))
    office.aa.publish()
    trace = walk(NUMBER, "")
    assert trace["outcome"] == {"type": "LOOP", "fetches": 100}
    assert sum(1 for event in trace["events"] if "fetch" in event) == 100


def test_every_document_of_a_published_plan_is_valid_rcml(office):
    from telephony.models import PublishedRcml
    from telephony.rcml import flow
    from tests.telephony.rcml_support import assert_valid_rcml

    plan = PublishedRcml.objects.get(aa_system_sid=office.aa.system.sid, version=office.version).plan
    state = flow.CallState(path=(office.main.sid, office.sales.sid))
    assert len(plan["documents"]) > 20
    for key in plan["documents"]:
        assert_valid_rcml(flow.render(plan, key, state, box="system"), key)


# Schedules, status, numbers.


def test_the_schedules_choose_the_menu_at_the_moment_of_the_call(office):
    after_hours = office.aa.menu("After hours", [option("1", ActionType.VOICEMAIL)])
    holiday = office.aa.menu("Holiday", [option("1", ActionType.HANGUP)])
    office.aa.set(timezone_id="America/New_York", default_menu=after_hours)
    Schedule.objects.create(
        aa_system=office.aa.system,
        name="Office hours",
        type=ScheduleType.WORK_HOURS,
        menu=office.main,
        weekly_ranges=[{"days": ["MON", "TUE", "WED", "THU", "FRI"], "start": "09:00", "end": "17:00"}],
    )
    Schedule.objects.create(
        aa_system=office.aa.system,
        name="Christmas",
        type=ScheduleType.SPECIAL_DAY,
        menu=holiday,
        dates=[{"month": 12, "day": 25, "recurYearly": True}],
    )
    office.aa.publish()
    monday_10_local = datetime(2026, 3, 9, 14, 0, tzinfo=UTC)  # 10:00 EDT (DST began 8 March)
    monday_8_local = datetime(2026, 3, 9, 12, 30, tzinfo=UTC)  # 08:30 EDT
    christmas_friday = datetime(2026, 12, 25, 15, 0, tzinfo=UTC)  # 10:00 EST, a Friday
    assert walk(NUMBER, "", at=monday_10_local)["menuPath"][0] == office.main.sid
    trace = walk(NUMBER, "1", at=monday_8_local)
    assert trace["menuPath"] == [after_hours.sid]
    assert trace["outcome"] == {"type": "VOICEMAIL", "box": "system"}
    assert walk(NUMBER, "1", at=christmas_friday)["menuPath"] == [holiday.sid]
    # A naive moment is UTC, as on the executor's entry endpoint.
    assert walk(NUMBER, "", at=datetime(2026, 3, 9, 14, 0))["menuPath"][0] == office.main.sid
    entry = walk(NUMBER, "", at=monday_10_local)["events"][0]
    assert entry["fetch"] == "/rcml/voice" and entry["status"] == 200


def test_inactive_system_rejects_the_call(office):
    office.aa.set(status=SystemStatus.INACTIVE)
    trace = walk(NUMBER, "1")
    assert trace["outcome"] == {"type": "REJECTED", "reason": "rejected"}
    assert trace["events"][1:] == [{"verb": "Reject", "reason": "rejected"}]
    assert trace["menuPath"] == []


def test_unknown_number_is_not_in_service(db):
    trace = walk("+19995550000", "1")
    assert trace["events"][0]["status"] == 404
    assert said(trace) == [PROMPTS["not_configured"]]
    assert trace["outcome"] == {"type": "HANGUP"}
    assert trace["menuPath"] == []


def test_number_written_without_plus_is_found(office):
    assert walk(NUMBER.lstrip("+"), "*")["menuPath"] == [office.main.sid]


def test_no_menu_answers_is_not_in_service(tenant):
    aa = Attendant.build(tenant, "+14155550111")
    aa.publish()
    trace = walk("+14155550111", "")
    assert said(trace) == [PROMPTS["not_configured"]]
    assert trace["outcome"] == {"type": "HANGUP"}


def test_the_walk_changes_nothing(office):
    from autoattendant.models import VoicemailMessage

    walk(NUMBER, "6")
    walk(NUMBER, "2", dial_status="no-answer")
    assert not VoicemailMessage.objects.exists()


def test_dial_status_must_be_one_restcomm_sends(office):
    with pytest.raises(ValueError):
        simulate(NUMBER, None, [], dial_status="maybe")


# The management command.


def test_management_command_json(office):
    out = io.StringIO()
    call_command("simulate_call", NUMBER, "--keys", "1,3", "--json", "--at", "2026-03-09T10:00:00-04:00", stdout=out)
    trace = json.loads(out.getvalue())
    assert trace["menuPath"] == [office.main.sid, office.sales.sid]
    assert trace["outcome"] == {
        "type": "TRANSFER",
        "target": office.ext("107").number,
        "targetType": "client",
        "extension": "107",
    }
    assert trace["events"][0]["fetch"] == "/rcml/voice"


def test_management_command_human_readable(office):
    out = io.StringIO()
    call_command("simulate_call", NUMBER, "--keys", "2", "--dial-status", "no-answer", stdout=out)
    text = out.getvalue()
    assert f"Call to {NUMBER} at now, keys: 2" in text
    assert f"Play: announcement {office.greeting.sid}" in text
    assert "caller presses 2" in text
    assert "Dial number " + office.ext("102").number + " (extension 102): no-answer" in text
    assert f"Menu path: {office.main.sid}" in text
    assert f"Outcome: VOICEMAIL (box={office.ext('102').sid})" in text


def test_management_command_refuses_a_bad_moment(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--at"):
        call_command("simulate_call", NUMBER, "--at", "next tuesday", stdout=io.StringIO())


# The API endpoint.


def simulate_url(system) -> str:
    return f"/autoattendant/system/{system.sid}/simulate"


def test_api_simulates_for_every_role_of_the_tenant(office, tenant):
    system = office.aa.system
    system.aa_admins.add(tenant.aa_admin)
    for api in (tenant.csp, tenant.bg, tenant.aa):
        data = assert_ok(api.post(simulate_url(system), {"number": NUMBER, "keys": "1,3"}))
        assert data["menuPath"] == [office.main.sid, office.sales.sid]
        assert data["outcome"]["type"] == "TRANSFER" and data["outcome"]["targetType"] == "client"
        assert {"input": "1"} in data["events"]


def test_api_takes_keys_as_a_list_a_moment_and_a_dial_status(office, tenant):
    after_hours = office.aa.menu("After hours", [option("1", ActionType.HANGUP)])
    office.aa.set(default_menu=after_hours)
    Schedule.objects.create(
        aa_system=office.aa.system,
        name="Office hours",
        type=ScheduleType.WORK_HOURS,
        menu=office.main,
        weekly_ranges=[{"days": ["MON"], "start": "09:00", "end": "17:00"}],
    )
    office.aa.publish()
    body = {"number": NUMBER, "keys": ["2"], "at": "2026-03-09T10:00:00+0000", "dialStatus": "no-answer"}
    data = assert_ok(tenant.csp.post(simulate_url(office.aa.system), body))
    assert data["menuPath"] == [office.main.sid]
    assert data["outcome"] == {"type": "VOICEMAIL", "box": office.ext("102").sid}
    data = assert_ok(tenant.csp.post(simulate_url(office.aa.system), {**body, "at": "2026-03-10T10:00:00Z"}))
    assert data["menuPath"] == [after_hours.sid]
    # By SID, without "+", and a trailing slash.
    phone_sid = office.aa.system.phone_numbers.get(is_extension=False).sid
    data = assert_ok(tenant.csp.post(simulate_url(office.aa.system) + "/", {"number": phone_sid, "at": "2026-03-09"}))
    assert data["menuPath"] == [after_hours.sid]  # a date alone is midnight UTC
    data = assert_ok(tenant.csp.post(simulate_url(office.aa.system), {"number": NUMBER[1:], "keys": "*"}))
    assert data["outcome"] == {"type": "HANGUP"}


def test_api_number_must_be_an_aa_number_of_the_system(office, tenant):
    api = tenant.csp
    url = simulate_url(office.aa.system)
    body = assert_error(api.post(url, {"number": "+19995550000"}), 532)
    assert body["data"] == {"number": "+19995550000"}
    assert_error(api.post(url, {"number": office.ext("101").number}), 532)  # an extension is not an AA number
    other = Attendant.build(tenant, "+14155550199")
    assert_error(api.post(url, {"number": "+14155550199"}), 532)  # another system's number
    assert_error(api.post(simulate_url(other.system), {"number": NUMBER}), 532)


def test_api_system_must_be_published(tenant):
    aa = Attendant.build(tenant, "+14155550122")
    body = assert_error(tenant.csp.post(simulate_url(aa.system), {"number": "+14155550122"}), 531)
    assert body["data"] == {"sid": aa.system.sid}


def test_api_another_tenants_system_is_not_found(office, other_tenant):
    for api in (other_tenant.csp, other_tenant.bg, other_tenant.aa):
        body = assert_error(api.post(simulate_url(office.aa.system), {"number": NUMBER}), 490)
        assert body["data"] == {"sid": office.aa.system.sid}
    assert_error(other_tenant.csp.post("/autoattendant/system/AAnothing/simulate", {"number": NUMBER}), 490)


def test_api_validates_its_body(office, tenant):
    url = simulate_url(office.aa.system)
    api = tenant.csp
    body = assert_error(api.post(url, {}), 400)
    assert "number" in body["errors"]
    body = assert_error(api.post(url, {"number": NUMBER, "at": "soon"}), 400)
    assert "at" in body["errors"]
    body = assert_error(api.post(url, {"number": NUMBER, "keys": "1,x"}), 400)
    assert "keys" in body["errors"]
    body = assert_error(api.post(url, {"number": NUMBER, "keys": 12}), 400)
    assert "keys" in body["errors"]
    body = assert_error(api.post(url, {"number": NUMBER, "dialStatus": "maybe"}), 400)
    assert "dialStatus" in body["errors"]
    assert_error(api.post(url, ["not", "an", "object"]), 400)


def test_api_needs_authentication(office, anonymous):
    assert_error(anonymous.post(simulate_url(office.aa.system), {"number": NUMBER}), 401)
