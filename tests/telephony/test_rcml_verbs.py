"""The one RCML parser (telephony.rcml.verbs): Restcomm's defaults, the Gather's key rules, and its errors.

Pure: no database, no Django; the executor and the simulator both read documents through it.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from telephony.rcml import verbs


def only(body: str):
    (verb,) = verbs.parse(f"<Response>{body}</Response>").verbs
    return verb


def test_restcomm_defaults_chapter_3():
    assert only("<Say>Hi</Say>") == verbs.Say("Hi", voice="man", language="en", loop=1)
    assert only("<Play>/a.wav</Play>") == verbs.Play("/a.wav", loop=1)
    assert only("<Pause/>") == verbs.Pause(1.0)
    assert only('<Gather action="/in"/>') == verbs.Gather(
        action="/in", method="POST", timeout=5.0, finish_on_key="#", num_digits=None
    )
    assert only("<Record/>") == verbs.Record(
        action=None, method="POST", timeout=5.0, finish_on_key="1234567890*#", max_length=3600.0, play_beep=True
    )
    dial = only("<Dial><Number>+1 555</Number></Dial>")
    assert (dial.timeout, dial.time_limit, dial.action, dial.caller_id) == (30.0, 14400.0, None, None)
    assert only("<Reject/>") == verbs.Reject("rejected")
    assert only("<Redirect/>") == verbs.Redirect("", "POST")


def test_attributes_out_of_range_fall_back_to_what_the_executor_can_do():
    gather = only('<Gather timeout="0" numDigits="0" finishOnKey="*#" method="put"/>')
    assert (gather.timeout, gather.num_digits, gather.finish_on_key, gather.method) == (1.0, 1, "*", "POST")
    assert only('<Gather timeout="2.5" finishOnKey=""/>').timeout == 2.5
    assert only('<Pause length="0"/>').length == 0.0
    assert only('<Pause length="soon"/>').length == 1.0
    assert only('<Say voice="WOMAN" loop="0">x</Say>') == verbs.Say("x", voice="woman", loop=0)
    assert only('<Record playBeep="FALSE"/>').play_beep is False
    assert only('<Reject reason="BUSY"/>').reason == "busy"
    assert only('<Reject reason="whatever"/>').reason == "rejected"


def test_gather_nests_only_prompts():
    gather = only("<Gather><Say>a</Say><Hangup/><Play>/b.wav</Play><Pause length='2'/></Gather>")
    assert gather.prompts == (verbs.Say("a"), verbs.Play("/b.wav"), verbs.Pause(2.0))


@pytest.mark.parametrize(
    ("attributes", "keys", "digits"),
    [
        ("", "103#9", "103"),  # the finishing key ends the entry and is not sent
        ("", "#", ""),  # only the finishing key: nothing to submit
        ('finishOnKey=""', "1#2", "1#2"),  # no finishing key: # is a key like any other
        ('numDigits="3"', "12345", "123"),  # submitted as soon as it has numDigits
        ('numDigits="3" finishOnKey="#"', "1#", "1"),
        ('finishOnKey="5"', "1253", "12"),
    ],
)
def test_the_digits_a_gather_submits(attributes, keys, digits):
    assert only(f"<Gather {attributes}/>").digits(keys) == digits


def test_dial_targets():
    dial = only(
        '<Dial action="/done" callerId="+1999" timeout="10"><Number>+1 (555) 01</Number>'
        "<Client>alice</Client><Uri>sip:bob@example.com</Uri><Sip>carol@example.com</Sip><Conference>c</Conference></Dial>"
    )
    assert [(t.kind, t.value) for t in dial.targets] == [
        ("number", "+1 (555) 01"),
        ("client", "alice"),
        ("uri", "sip:bob@example.com"),
        ("uri", "carol@example.com"),
    ]
    assert (dial.action, dial.caller_id, dial.timeout) == ("/done", "+1999", 10.0)
    assert only("<Dial>1-444-555-666</Dial>").targets == (verbs.DialTarget("number", "1-444-555-666"),)
    assert only("<Dial><Conference>room</Conference></Dial>").targets == ()


def test_unknown_verbs_are_kept_as_unsupported():
    assert verbs.parse("<Response><Sms>hi</Sms><Hangup/></Response>").verbs == (
        verbs.Unsupported("Sms"),
        verbs.Hangup(),
    )


@pytest.mark.parametrize("body", ["not xml", "<Document/>", b"<Response><Say></Response>"])
def test_what_is_not_rcml_is_one_error(body):
    with pytest.raises(verbs.RcmlError):
        verbs.parse(body)


def imported(module: str) -> set[str]:
    """The top-level packages a fresh interpreter holds after importing `module`."""
    code = f"import sys, {module}; print(' '.join(sorted({{name.split('.')[0] for name in sys.modules}})))"
    return set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split())


def test_the_parser_is_pure_and_the_executor_stays_free_of_django():
    assert not imported("telephony.rcml.verbs") & {"django", "asyncio", "aiohttp", "autoattendant", "portal"}
    executor = imported("telephony.executor.server")
    assert "asyncio" in executor  # the check sees what a module pulls in
    assert not executor & {"django", "rest_framework", "celery", "autoattendant", "portal"}
