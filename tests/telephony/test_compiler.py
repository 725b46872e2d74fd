"""The pure RCML compiler (telephony.rcml.compiler) on hand-made snapshots: no database, no clock.

Every document of every plan here is rendered as the serving endpoints render it and checked
against telephony/rcml/rcml.xsd.
"""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pytest

from autoattendant.choices import ActionType
from telephony.rcml import flow
from telephony.rcml.compiler import PROMPTS, CompileError, compile_plan, keypad_digits
from telephony.rcml.flow import CallState
from tests.telephony.rcml_support import action, assert_valid_rcml, option

MAIN, SUB = "MNmain", "MNsub"
GREETING, BYE, HOURS = "ANgreeting", "ANbye", "ANhours"
ALICE, BOB, CAROL, CLIENT = "PHalice", "PHbob", "PHcarol", "PHclient"


def base_snapshot() -> dict:
    return {
        "aaSystemSid": "AAtest",
        "enterpriseSid": "ENtest",
        "name": "Reception",
        "status": "ACTIVE",
        "timezoneId": "Europe/Berlin",
        "extFromPhoneNumber": "+14155550000",
        "policies": {
            "timeoutSeconds": 4,
            "timeoutMaxOccurance": 3,
            "timeoutAction": action(ActionType.HANGUP),
            "invalidInputMaxOccurance": 2,
            "invalidInputAction": action(ActionType.TRANSFER_TO_OPERATOR),
            "invalidExtensionMaxOccurance": 4,
            "invalidExtensionAction": action(ActionType.VOICEMAIL),
        },
        "defaultMenuSid": MAIN,
        "operatorExtensionSid": ALICE,
        "menus": [
            {
                "sid": MAIN,
                "name": "Main",
                "greetingAnnouncementSid": GREETING,
                "allowDialByExtension": True,
                "options": [
                    option("1", ActionType.GO_TO_MENU, SUB),
                    option("0", ActionType.TRANSFER_TO_OPERATOR),
                ],
            },
            {
                "sid": SUB,
                "name": "Sales",
                "greetingAnnouncementSid": None,
                "allowDialByExtension": False,
                "options": [option("*", ActionType.RETURN_TO_PREVIOUS_MENU)],
            },
        ],
        "schedules": [
            {
                "sid": "SCwork",
                "name": "Office hours",
                "type": "WORK_HOURS",
                "menuSid": SUB,
                "weeklyRanges": [{"days": ["MON"], "start": "09:00", "end": "17:00"}],
                "dates": [],
            }
        ],
        "extensions": [
            {"sid": ALICE, "number": "+16505550101", "extension": "101", "type": "number", "spokenName": "Alice"},
            {"sid": BOB, "number": "+16505550102", "extension": "102", "type": "number", "spokenName": "Bob Smith"},
            {"sid": CAROL, "number": "+16505550103", "extension": "1030", "type": "number", "spokenName": "Carol"},
            {"sid": CLIENT, "number": "desk7", "extension": "107", "type": "client", "spokenName": ""},
        ],
        "announcements": {
            GREETING: announcement("Welcome to Acme.", sid=GREETING),
            BYE: announcement("Goodbye from Acme.", sid=BYE),
            HOURS: announcement("", kind="AUDIO", sid=HOURS),
        },
    }


def announcement(text: str, *, kind: str = "TTS", status: str = "READY", sid: str = "ANx") -> dict:
    return {
        "name": f"Announcement {sid}",
        "type": kind,
        "status": status,
        "text": text,
        "language": "en",
        "voice": "woman",
        "audioUri": f"/autoattendant/announcement/{sid}/audio.wav" if status == "READY" else None,
        "revision": 1,
    }


def with_options(snapshot: dict, *options: dict, menu: int = 0) -> dict:
    snapshot = copy.deepcopy(snapshot)
    snapshot["menus"][menu]["options"] = list(options)
    return snapshot


STATE = CallState(path=(MAIN, SUB), t=1, i=0, e=2)


def rendered(plan: dict, key: str, state: CallState | None = STATE, **extra: str) -> ET.Element:
    document = flow.render(plan, key, state, **extra)
    assert_valid_rcml(document, key)
    return ET.fromstring(document)


def assert_plan_valid(plan: dict) -> None:
    """Every document of the plan, rendered with a call's state, is valid RCML."""
    for key in plan["documents"]:
        rendered(plan, key, box="system")
    # And the documents made at request time from the plan's tables.
    params = {"path": f"{MAIN}.{SUB}", "t": "0", "i": "0", "e": "0"}
    for digits in ("", "2", "22", "99999", "3"):
        assert_valid_rcml(flow.directory_input(plan, {**params, "Digits": digits}), f"directory {digits}")
    for status in ("completed", "no-answer", "busy"):
        for ext in ("101", "", "999"):
            assert_valid_rcml(flow.dial_done(plan, {**params, "DialCallStatus": status, "ext": ext}), "dial-done")


def query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


# Every action type.


def test_every_action_type_compiles_to_its_document():
    options = [
        option("1", ActionType.HANGUP),
        option("2", ActionType.ANNOUNCEMENT_HANGUP, BYE),
        option("3", ActionType.ANNOUNCEMENT_RETURN, HOURS),
        option("4", ActionType.DIAL_BY_EXTENSION),
        option("5", ActionType.DIAL_BY_NAME),
        option("6", ActionType.TRANSFER_TO_EXTENSION, BOB),
        option("7", ActionType.TRANSFER_TO_NUMBER, "+442071234567"),
        option("8", ActionType.TRANSFER_TO_OPERATOR),
        option("9", ActionType.GO_TO_MENU, SUB),
        option("0", ActionType.REPEAT_MENU),
        option("*", ActionType.RETURN_TO_MAIN_MENU),
        option("#", ActionType.VOICEMAIL, CAROL),
    ]
    sub_options = [option("1", ActionType.RETURN_TO_PREVIOUS_MENU), option("2", ActionType.VOICEMAIL)]
    snapshot = with_options(with_options(base_snapshot(), *options), *sub_options, menu=1)
    plan = compile_plan(snapshot, 7)
    assert_plan_valid(plan)
    assert {option["actionType"] for option in options + sub_options} == set(ActionType.values)
    base = "/rcml/AAtest/7"

    def doc(key: str, menu: str = MAIN) -> ET.Element:
        return rendered(plan, f"option:{menu}:{key}")

    assert [el.tag for el in doc("1")] == ["Hangup"]
    bye = doc("2")
    assert [el.tag for el in bye] == ["Play", "Hangup"]  # a rendered TTS announcement is played
    assert bye[0].text == f"/autoattendant/announcement/{BYE}/audio.wav"
    back = doc("3")
    assert [el.tag for el in back] == ["Play", "Redirect"]
    assert back[0].text == f"/autoattendant/announcement/{HOURS}/audio.wav"
    assert back[1].text.startswith(f"{base}/menu/{SUB}?")  # the menu the caller is in (end of path)
    assert query(back[1].text) == {"path": f"{MAIN}.{SUB}", "t": "0", "i": "0", "e": "0"}
    assert urlsplit(doc("4")[0].text).path == f"{base}/extension"
    assert urlsplit(doc("5")[0].text).path == f"{base}/directory"

    dial = doc("6")[0]
    assert dial.tag == "Dial" and dial.get("callerId") == "+14155550000" and dial.get("timeout") == "30"
    assert [(noun.tag, noun.text) for noun in dial] == [("Number", "+16505550102")]
    assert urlsplit(dial.get("action")).path == f"{base}/dial-done"
    assert query(dial.get("action"))["ext"] == "102"

    number = doc("7")[0]
    assert [(noun.tag, noun.text) for noun in number] == [("Number", "+442071234567")]
    assert "ext" not in query(number.get("action"))

    operator = doc("8")[0]
    assert [(noun.tag, noun.text) for noun in operator] == [("Number", "+16505550101")]
    assert query(operator.get("action"))["ext"] == "101"

    go = doc("9")[0]
    assert go.tag == "Redirect" and urlsplit(go.text).path == f"{base}/menu/{SUB}"
    assert query(go.text) == {"path": f"{MAIN}.{SUB}.{SUB}", "t": "0", "i": "0", "e": "0"}

    repeat = doc("0")[0]
    assert urlsplit(repeat.text).path == f"{base}/menu/{SUB}" and query(repeat.text)["path"] == f"{MAIN}.{SUB}"
    main = doc("*")[0]
    assert urlsplit(main.text).path == f"{base}/menu/{MAIN}" and query(main.text)["path"] == MAIN
    mailbox = doc("#")[0]
    assert urlsplit(mailbox.text).path == f"{base}/voicemail" and query(mailbox.text)["box"] == CAROL

    previous = doc("1", SUB)[0]
    assert urlsplit(previous.text).path == f"{base}/menu/{MAIN}" and query(previous.text)["path"] == MAIN
    general = doc("2", SUB)[0]
    assert query(general.text)["box"] == "system"


def test_transfer_to_a_client_extension_dials_the_client():
    snapshot = with_options(base_snapshot(), option("1", ActionType.TRANSFER_TO_EXTENSION, CLIENT))
    dial = rendered(compile_plan(snapshot, 1), f"option:{MAIN}:1")[0]
    assert [(noun.tag, noun.text) for noun in dial] == [("Client", "desk7")]
    assert query(dial.get("action"))["ext"] == "107"


def test_transfer_to_operator_without_an_operator_apologises_and_returns_to_the_menu():
    snapshot = base_snapshot()
    snapshot["operatorExtensionSid"] = None
    plan = compile_plan(snapshot, 1)
    document = rendered(plan, f"option:{MAIN}:0")
    assert [el.tag for el in document] == ["Say", "Redirect"]
    assert document[0].text == PROMPTS["no_operator"]
    assert urlsplit(document[1].text).path == f"/rcml/AAtest/1/menu/{SUB}"


def test_without_a_caller_id_dial_has_none():
    snapshot = base_snapshot()
    snapshot["extFromPhoneNumber"] = ""
    dial = rendered(compile_plan(snapshot, 1), f"option:{MAIN}:0")[0]
    assert dial.get("callerId") is None


# Every policy.


@pytest.mark.parametrize("action_type", sorted(ActionType.values))
@pytest.mark.parametrize("policy", ["timeout", "invalidInput", "invalidExtension"])
def test_every_action_type_is_a_policy(policy, action_type):
    data = {
        ActionType.ANNOUNCEMENT_HANGUP: BYE,
        ActionType.ANNOUNCEMENT_RETURN: GREETING,
        ActionType.TRANSFER_TO_EXTENSION: BOB,
        ActionType.TRANSFER_TO_NUMBER: "+14155550199",
        ActionType.GO_TO_MENU: SUB,
    }.get(action_type)
    snapshot = base_snapshot()
    snapshot["policies"][f"{policy}Action"] = action(action_type, data)
    plan = compile_plan(snapshot, 3)
    assert_plan_valid(plan)
    assert plan["limits"] == {"timeout": 3, "invalidInput": 2, "invalidExtension": 4}
    document = rendered(plan, f"policy:{policy}")
    other = compile_plan(with_options(snapshot, option("5", action_type, data)), 3)
    # A policy is the same document a key with that action would be.
    assert flow.render(plan, f"policy:{policy}", STATE) == flow.render(other, f"option:{MAIN}:5", STATE)
    assert len(document)


def test_retry_prompts_say_why_and_go_back():
    plan = compile_plan(base_snapshot(), 1)
    for policy, prompt in (
        ("timeout", "no_input"),
        ("invalidInput", "invalid_input"),
        ("invalidExtension", "invalid_extension"),
    ):
        document = rendered(plan, f"retry:{policy}", retry="/rcml/AAtest/1/menu/MNmain?path=MNmain&amp;t=1")
        assert [el.tag for el in document] == ["Say", "Redirect"]
        assert document[0].text == PROMPTS[prompt]
        assert document[1].text == "/rcml/AAtest/1/menu/MNmain?path=MNmain&t=1"


def test_unknown_action_type_and_foreign_targets_do_not_compile():
    for bad, message in (
        (option("1", "DANCE"), "unknown actionType"),
        (option("1", ActionType.TRANSFER_TO_EXTENSION, "PHelsewhere"), "not in this AA system"),
        (option("1", ActionType.ANNOUNCEMENT_HANGUP, "ANmissing"), "does not exist"),
    ):
        with pytest.raises(CompileError, match=message):
            compile_plan(with_options(base_snapshot(), bad), 1)
    snapshot = base_snapshot()
    snapshot["policies"]["timeoutAction"] = action("NOPE")
    with pytest.raises(CompileError, match="timeoutAction"):
        compile_plan(snapshot, 1)


def test_a_key_given_twice_does_not_compile():
    snapshot = with_options(base_snapshot(), option("1", ActionType.HANGUP), option("1", ActionType.REPEAT_MENU))
    with pytest.raises(CompileError, match="key 1 is given twice"):
        compile_plan(snapshot, 1)


# Menus: the Gather's shape.


def test_dial_by_extension_menu_gathers_up_to_the_longest_extension():
    plan = compile_plan(base_snapshot(), 5)
    document = rendered(plan, f"menu:{MAIN}", CallState(path=(MAIN,)))
    gather, redirect = document
    assert gather.tag == "Gather" and redirect.tag == "Redirect"
    assert gather.get("numDigits") == "4"  # "1030" is the longest extension
    assert gather.get("finishOnKey") == "#"
    assert gather.get("timeout") == "4"  # the system's timeoutSeconds
    assert gather.get("method") == "POST"
    assert urlsplit(gather.get("action")).path == f"/rcml/AAtest/5/input/{MAIN}"
    assert query(gather.get("action")) == {"path": MAIN, "t": "0", "i": "0", "e": "0"}
    assert redirect.text == gather.get("action").replace("&amp;", "&")  # no input: the same URL, no Digits
    assert [(el.tag, el.text) for el in gather] == [("Play", f"/autoattendant/announcement/{GREETING}/audio.wav")]
    assert plan["menus"][MAIN] == {"name": "Main", "keys": ["0", "1"], "dialByExtension": True}


def test_dial_by_extension_menu_with_a_pound_key_has_no_finishing_key():
    snapshot = with_options(base_snapshot(), option("#", ActionType.HANGUP))
    gather = rendered(compile_plan(snapshot, 1), f"menu:{MAIN}", CallState(path=(MAIN,)))[0]
    assert gather.get("finishOnKey") == "" and gather.get("numDigits") == "4"


def test_a_plain_menu_takes_one_key_any_key():
    plan = compile_plan(base_snapshot(), 1)
    gather = rendered(plan, f"menu:{SUB}", CallState(path=(MAIN, SUB)))[0]
    assert gather.get("numDigits") == "1" and gather.get("finishOnKey") == ""
    assert [(el.tag, el.text) for el in gather] == [("Say", PROMPTS["select"])]  # no greeting: a prompt


def test_dial_by_extension_with_one_digit_extensions_is_a_plain_gather():
    snapshot = base_snapshot()
    snapshot["extensions"] = [
        {"sid": ALICE, "number": "+16505550101", "extension": "5", "type": "number", "spokenName": "Alice"}
    ]
    gather = rendered(compile_plan(snapshot, 1), f"menu:{MAIN}", CallState(path=(MAIN,)))[0]
    assert gather.get("numDigits") == "1" and gather.get("finishOnKey") == ""


def test_extension_prompt_and_directory_prompt():
    plan = compile_plan(base_snapshot(), 2)
    gather = rendered(plan, "dialByExtension")[0]
    assert gather.get("numDigits") == "4" and gather.get("finishOnKey") == "#"
    assert urlsplit(gather.get("action")).path == "/rcml/AAtest/2/extension-input"
    directory = rendered(plan, "directory")[0]
    assert directory.get("numDigits") is None and directory.get("finishOnKey") == "#"
    assert [el.text for el in directory] == [PROMPTS["enter_name"]]
    assert set(plan["extensions"]) == {"101", "102", "1030", "107"}
    for digits in plan["extensions"]:
        assert rendered(plan, f"extension:{digits}")[0].tag == "Dial"


# Dial by name.


def test_keypad_digits():
    assert keypad_digits("Alice") == "25423"
    assert keypad_digits("Bob Smith") == "26276484"
    assert keypad_digits("O'Neil-Zoë 9") == "6634596"  # letters only; ë is not on a keypad
    assert keypad_digits("") == ""


def test_directory_lists_named_extensions_by_name():
    plan = compile_plan(base_snapshot(), 1)
    assert plan["directory"] == [
        {"digits": "25423", "extension": "101", "name": "Alice"},
        {"digits": "26276484", "extension": "102", "name": "Bob Smith"},
        {"digits": "22765", "extension": "1030", "name": "Carol"},
    ]  # the client without a spoken name is not in the directory
    params = {"path": MAIN, "t": "0", "i": "0", "e": "0"}
    one = ET.fromstring(flow.directory_input(plan, {**params, "Digits": "254"}))
    assert one[0].text == "Transferring to Alice." and one[1].tag == "Dial"
    several = ET.fromstring(flow.directory_input(plan, {**params, "Digits": "2"}))
    gather = several[0]
    assert gather.tag == "Gather" and gather.get("numDigits") == "1"
    assert gather[0].text == "For Alice, press 1. For Bob Smith, press 2. For Carol, press 3."
    assert query(gather.get("action"))["m"] == "101,102,1030"


# Announcements.


def test_tts_announcement_not_ready_is_spoken_with_say():
    snapshot = base_snapshot()
    snapshot["announcements"][GREETING] = announcement("Welcome, while we render.", status="PROCESSING")
    snapshot["announcements"][GREETING]["voice"] = "man"
    snapshot["announcements"][GREETING]["language"] = "de"
    gather = rendered(compile_plan(snapshot, 1), f"menu:{MAIN}", CallState(path=(MAIN,)))[0]
    (say,) = gather
    assert (say.tag, say.text, say.get("voice"), say.get("language")) == (
        "Say",
        "Welcome, while we render.",
        "man",
        "de",
    )


def test_ready_announcement_is_played_whatever_its_type():
    snapshot = with_options(base_snapshot(), option("3", ActionType.ANNOUNCEMENT_HANGUP, HOURS))
    plan = compile_plan(snapshot, 1)
    gather = rendered(plan, f"menu:{MAIN}", CallState(path=(MAIN,)))[0]
    assert [(el.tag, el.text) for el in gather] == [("Play", f"/autoattendant/announcement/{GREETING}/audio.wav")]
    assert rendered(plan, f"option:{MAIN}:3")[0].text == f"/autoattendant/announcement/{HOURS}/audio.wav"


@pytest.mark.parametrize(
    "language,said_as",
    [
        ("en", "en"),
        ("en-us", "en"),
        ("en-GB", "en-gb"),
        ("pt-br", "bp"),
        ("fr-ca", "cf"),
        ("da", "dan"),
        ("de-at", "de"),
        ("zh", None),
        ("", "en"),
    ],
)
def test_tts_language_is_said_in_a_chapter_3_language(language, said_as):
    snapshot = base_snapshot()
    snapshot["announcements"][GREETING] = announcement("Hallo.", status="PROCESSING")
    snapshot["announcements"][GREETING]["language"] = language
    say = rendered(compile_plan(snapshot, 1), f"menu:{MAIN}", CallState(path=(MAIN,)))[0][0]
    assert say.get("language") == said_as


@pytest.mark.parametrize("status", ["PROCESSING", "FAILED"])
def test_audio_announcement_not_ready_does_not_compile(status):
    snapshot = base_snapshot()
    snapshot["announcements"][HOURS] = announcement("", kind="AUDIO", status=status, sid=HOURS)
    snapshot = with_options(snapshot, option("3", ActionType.ANNOUNCEMENT_RETURN, HOURS))
    with pytest.raises(CompileError, match=f"menu {MAIN} key 3: announcement {HOURS} .* is not ready"):
        compile_plan(snapshot, 1)


def test_failed_tts_announcement_without_text_does_not_compile():
    snapshot = base_snapshot()
    snapshot["announcements"][GREETING] = announcement("", status="FAILED")
    with pytest.raises(CompileError, match="greeting"):
        compile_plan(snapshot, 1)


# Menus that do not exist.


def test_unknown_menus_do_not_compile():
    with pytest.raises(CompileError, match="MNnowhere"):
        compile_plan(with_options(base_snapshot(), option("1", ActionType.GO_TO_MENU, "MNnowhere")), 1)
    snapshot = base_snapshot()
    snapshot["defaultMenuSid"] = "MNgone"
    with pytest.raises(CompileError, match="menu MNgone is not in this AA system"):
        compile_plan(snapshot, 1)
    snapshot = base_snapshot()
    snapshot["schedules"][0]["menuSid"] = "MNother"
    with pytest.raises(CompileError, match="menu MNother"):
        compile_plan(snapshot, 1)
    snapshot = base_snapshot()
    snapshot["policies"]["invalidInputAction"] = action(ActionType.GO_TO_MENU, "MNlost")
    with pytest.raises(CompileError, match="invalidInputAction: menu MNlost"):
        compile_plan(snapshot, 1)


def test_no_default_menu_and_no_schedule_is_not_configured():
    snapshot = base_snapshot()
    snapshot["defaultMenuSid"] = None
    snapshot["schedules"] = []
    plan = compile_plan(snapshot, 1)
    assert_plan_valid(plan)
    from datetime import UTC, datetime

    document = ET.fromstring(flow.entry(plan, datetime(2026, 3, 2, 10, tzinfo=UTC)))
    assert [el.tag for el in document] == ["Say", "Hangup"]
    assert document[0].text == PROMPTS["not_configured"]


# User text is escaped.

NASTY = "Press <1> & \"pay\" $5 ${base} $$menu <Hangup/> ]]> 'now'"


def test_user_text_is_escaped_in_every_place_it_appears():
    snapshot = base_snapshot()
    snapshot["announcements"][GREETING] = announcement(NASTY, status="PROCESSING")
    snapshot["announcements"][BYE] = announcement(NASTY, status="PROCESSING")
    snapshot["extensions"][0]["spokenName"] = "A&B <Sales> $x"
    snapshot["extensions"][3]["number"] = "desk$base&<7>"
    snapshot = with_options(
        snapshot,
        option("2", ActionType.ANNOUNCEMENT_HANGUP, BYE),
        option("7", ActionType.TRANSFER_TO_EXTENSION, CLIENT),
    )
    plan = compile_plan(snapshot, 1)
    assert_plan_valid(plan)
    gather = rendered(plan, f"menu:{MAIN}", CallState(path=(MAIN,)))[0]
    assert gather[0].text == NASTY
    assert len(gather) == 1  # no injected verb
    bye = rendered(plan, f"option:{MAIN}:2")
    assert [el.tag for el in bye] == ["Say", "Hangup"] and bye[0].text == NASTY
    client = rendered(plan, f"option:{MAIN}:7")[0]
    assert client[0].text == "desk$base&<7>"
    params = {"path": MAIN, "t": "0", "i": "0", "e": "0"}
    one = ET.fromstring(flow.directory_input(plan, {**params, "Digits": "2272"}))
    assert one[0].text == "Transferring to A&B <Sales> $x."
    assert plan["directory"][0]["digits"] == keypad_digits("A&B <Sales> $x") == "22725379"
    several = ET.fromstring(flow.directory_input(plan, {**params, "Digits": "22"}))
    assert several[0][0].text == "For A&B <Sales> $x, press 1. For Carol, press 2."


def test_plans_are_plain_data_and_deterministic():
    import json

    first = compile_plan(base_snapshot(), 9)
    second = compile_plan(copy.deepcopy(base_snapshot()), 9)
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
    assert first["version"] == 9 and first["aaSystemSid"] == "AAtest"
    assert first["timezoneId"] == "Europe/Berlin" and first["defaultMenuSid"] == MAIN
    assert first["voicemailBoxes"] == {ALICE: "101", BOB: "102", CAROL: "1030", CLIENT: "107"}
