"""Test a call: the call simulator run from a keypad in the page, at a chosen time in the system's zone.

Each key pressed on the keypad answers the next prompt, and the call is walked again from the start
with every key so far: the page shows the menus walked, what the caller hears (playable, in order)
and how the call ends. Spoken prompts are rendered by the same code the call executor uses, for texts
the simulator produced only (their URLs are signed), so the page is no free text-to-speech service.
"""

from __future__ import annotations

import zoneinfo

from django import forms
from django.core import signing
from django.http import Http404
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.views import View

from autoattendant import scheduling
from autoattendant.errors import AAError, Code
from autoattendant.models import Menu
from autoattendant.services.access import access_system
from portal.console.base import ConsoleMixin, add_service_error, fetch
from telephony import simulator
from telephony.rcml.executor_views import speech_response

KEYPAD = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"]
SPEECH_SALT = "console.test_call.speech"
SPEECH_MAX_AGE = 24 * 3600
DIAL_RESULTS = [
    ("completed", "answer"),
    ("busy", "are busy"),
    ("no-answer", "do not answer"),
    ("failed", "fail"),
]
OUTCOMES = {
    "TRANSFER": "The call is transferred",
    "VOICEMAIL": "The caller leaves a voicemail",
    "HANGUP": "The call ends: the system hangs up",
    "REJECTED": "The call is rejected",
    "LOOP": "The call goes round in circles (stopped after 100 steps)",
    "ERROR": "The call fails",
}


class TestCallForm(forms.Form):
    number = forms.ChoiceField(label="Number called")
    at = forms.DateTimeField(
        label="When",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    keys = forms.CharField(
        label="Keys pressed",
        required=False,
        max_length=400,
        help_text="What the caller types at each prompt in turn, separated by commas: 1,#,203. Empty: nothing.",
    )
    dial_status = forms.ChoiceField(label="Transferred calls", choices=DIAL_RESULTS, initial="completed")

    def __init__(self, *args, system, **kwargs):
        super().__init__(*args, **kwargs)
        self.system = system
        numbers = system.phone_numbers.filter(is_extension=False).order_by("number")
        self.fields["number"].choices = [(n.number, n.number) for n in numbers]
        self.fields["at"].help_text = f"In the system's time zone, {system.timezone_id}."

    def clean_at(self):
        moment = self.cleaned_data["at"]
        if not scheduling.MIN_YEAR < moment.year < scheduling.MAX_YEAR:
            raise forms.ValidationError(f"Use a year from {scheduling.MIN_YEAR + 1} to {scheduling.MAX_YEAR - 1}.")
        return moment

    def clean_keys(self):
        entries = simulator.parse_keys(self.cleaned_data["keys"])
        press = self.data.get("press", "")
        if press in KEYPAD:
            entries.append(press)
        try:
            return simulator.check_key_entries(entries)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


def system_zone(system) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(system.timezone_id)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def speech_url(event: dict) -> str:
    """A Say event's audio; the simulator names its voice and language (Restcomm's defaults filled in)."""
    token = signing.dumps([event["text"], event["voice"], event["language"]], salt=SPEECH_SALT)
    return f"{reverse('console:test_call_speech')}?s={token}"


def steps_of(trace: dict, names: dict) -> tuple[list[dict], list[dict]]:
    """The trace as steps a person reads, and the prompts in the order the caller hears them."""
    steps, prompts = [], []
    for event in trace["events"]:
        verb = event.get("verb")
        if "fetch" in event:
            continue  # the documents fetched: in the technical trace only
        if "input" in event:
            steps.append({"kind": "input", "text": f"The caller presses {event['input']}"})
        elif event.get("timeout") is True and verb is None:
            steps.append({"kind": "timeout", "text": "The caller presses nothing (timeout)"})
        elif verb == "Say":
            prompt = {"text": f"“{event['text']}”", "src": speech_url(event), "label": event["text"][:60]}
            prompts.append(prompt)
            steps.append({"kind": "prompt", "text": f"Spoken: {prompt['text']}", "prompt": prompt})
        elif verb == "Play":
            sid = event.get("announcementSid")
            name = names.get(("announcement", sid)) or sid or event["url"]
            src = reverse("console:announcement_audio", args=[sid]) if sid else event["url"]
            prompt = {"text": f"Announcement {name}", "src": src, "label": name}
            prompts.append(prompt)
            steps.append({"kind": "prompt", "text": f"Plays the announcement {name}", "prompt": prompt})
        elif verb == "Pause":
            steps.append({"kind": "pause", "text": f"Silence, {event['length']} s"})
        elif verb == "Gather":
            menu = names.get(event.get("menuSid"), "")
            steps.append({"kind": "gather", "text": f"Waits for keys{' in the menu ' + menu if menu else ''}"})
        elif verb == "Dial":
            extension = f"extension {event['extension']} ({event['target']})" if event.get("extension") else None
            status = dict(DIAL_RESULTS).get(event.get("dialCallStatus"), event.get("dialCallStatus"))
            steps.append({"kind": "dial", "text": f"Transfers to {extension or event['target']}: they {status}"})
        elif verb == "Record":
            steps.append({"kind": "record", "text": "Records a voicemail"})
        elif verb == "Hangup":
            steps.append({"kind": "end", "text": "Hangs up"})
        elif verb == "Reject":
            steps.append({"kind": "end", "text": f"Rejects the call ({event.get('reason', '')})"})
    return steps, prompts


def names_for(system, trace: dict) -> dict:
    """Menu SIDs and announcement SIDs of the trace, by the names the admin gave them."""
    names: dict = dict(Menu.objects.filter(aa_system=system).values_list("sid", "name"))
    for announcement in system.enterprise.announcements.values("sid", "name"):
        names[("announcement", announcement["sid"])] = announcement["name"]
    return names


def outcome_in_words(outcome: dict) -> str:
    words = OUTCOMES.get(outcome["type"], outcome["type"])
    if outcome["type"] == "TRANSFER":
        extension = f" to extension {outcome['extension']}" if outcome.get("extension") else ""
        return f"{words}{extension} ({outcome.get('target', '')})"
    if outcome["type"] == "VOICEMAIL":
        return f"{words} ({'the system box' if outcome.get('box') == 'system' else 'the extension box'})"
    return words


class TestCall(ConsoleMixin, View):
    template_name = "console/testcall/page.html"

    def context(self, system, form, **extra):
        return {"system": system, "tab": "test_call", "form": form, "keypad": KEYPAD, **extra}

    def get(self, request, sid):
        system = fetch(access_system, request.user, sid)
        now = timezone.now().astimezone(system_zone(system)).replace(second=0, microsecond=0, tzinfo=None)
        form = TestCallForm(system=system, initial={"at": now})
        return render(request, self.template_name, self.context(system, form))

    def post(self, request, sid):
        system = fetch(access_system, request.user, sid)
        with timezone.override(system_zone(system)):  # the time typed is the system's local time
            form = TestCallForm(request.POST, system=system)
            valid = form.is_valid()
        if not valid:
            return render(request, self.template_name, self.context(system, form), status=400)
        data = form.cleaned_data
        try:
            trace = simulator.simulate_system(
                system, data["number"], data["at"], data["keys"], dial_status=data["dial_status"]
            )
        except AAError as exc:
            add_service_error(form, exc, fields={Code.NUMBER_NOT_ROUTED: "number"})
            return render(request, self.template_name, self.context(system, form), status=400)
        names = names_for(system, trace)
        steps, prompts = steps_of(trace, names)
        # The keys field now holds every key pressed, so the next press goes on from here.
        form.data = form.data.copy()
        form.data["keys"] = ",".join(data["keys"])
        result = {
            "path": [names.get(sid, sid) for sid in trace["menuPath"]],
            "steps": steps,
            "prompts": prompts,
            "outcome": outcome_in_words(trace["outcome"]),
            "outcome_type": trace["outcome"]["type"],
            "keys": data["keys"],
            "at": data["at"],
            "technical": simulator.describe(trace),
        }
        return render(request, self.template_name, self.context(system, form, result=result))


class TestCallSpeech(ConsoleMixin, View):
    """A spoken prompt of a test call, rendered as the executor renders it (the URL is signed)."""

    def get(self, request):
        try:
            text, voice, language = signing.loads(request.GET.get("s", ""), salt=SPEECH_SALT, max_age=SPEECH_MAX_AGE)
        except (signing.BadSignature, ValueError, TypeError):
            raise Http404("No such prompt") from None
        return speech_response(request, text, voice, language)


TestCall.__test__ = False  # not a pytest test class, whatever its name
TestCallForm.__test__ = False

urlpatterns = [
    path("systems/<str:sid>/test-call/", TestCall.as_view(), name="test_call"),
    path("test-call/speech.wav", TestCallSpeech.as_view(), name="test_call_speech"),
]
