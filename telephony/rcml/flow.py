"""One step of a call through a published plan: which document answers, with the call's state in it.

The state travels in the action URLs (`path` of menus walked, `t`/`i`/`e` counts of consecutive
timeouts, invalid inputs and invalid extensions), so any executor or web worker can serve any step.
Pure: the plan and the request's parameters in, an RCML string out.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from string import Template
from typing import Any
from xml.sax.saxutils import escape

from telephony.rcml.compiler import response

LIMIT_OF = {"t": "timeout", "i": "invalidInput", "e": "invalidExtension"}


class UnknownStep(Exception):
    """A URL that names no step of this plan (a menu of another version, a garbled state)."""


@dataclass(frozen=True)
class CallState:
    path: tuple[str, ...]
    t: int = 0
    i: int = 0
    e: int = 0

    @classmethod
    def parse(cls, params, plan: dict[str, Any]) -> CallState:
        path = tuple(part for part in (params.get("path") or "").split(".") if part)
        if not path or any(sid not in plan["menus"] for sid in path):
            raise UnknownStep(f"path {params.get('path')!r}")
        if path[-1] in path[:-1]:
            # Menus that lead to each other in a circle: going back to a menu on the path is
            # returning to it, so the path (and the URLs carrying it) stays short.
            path = path[: path.index(path[-1]) + 1]
        try:
            counts = {key: max(0, int(params.get(key) or 0)) for key in ("t", "i", "e")}
        except ValueError:
            raise UnknownStep("counters") from None
        return cls(path=path, **counts)

    @property
    def menu(self) -> str:
        return self.path[-1]

    def query(self) -> str:
        return f"path={'.'.join(self.path)}&amp;t={self.t}&amp;i={self.i}&amp;e={self.e}"

    def reset(self) -> CallState:
        return replace(self, t=0, i=0, e=0)


def base_url(plan: dict[str, Any]) -> str:
    return f"/rcml/{plan['aaSystemSid']}/{plan['version']}"


def render(plan: dict[str, Any], key: str, state: CallState | None, **extra: str) -> str:
    document = plan["documents"][key]
    values = {"base": base_url(plan), **extra}
    if state is not None:
        previous = CallState(path=state.path[:-1] or state.path[:1])
        main = CallState(path=state.path[:1])
        values.update(
            state=state.query(),
            reset=state.reset().query(),
            menu=state.menu,
            path=".".join(state.path),
            prev_menu=previous.menu,
            prev_state=previous.query(),
            main_menu=main.menu,
            main_state=main.query(),
        )
        values.setdefault("retry", f"{values['base']}/menu/{state.menu}?{state.query()}")
    return Template(document).safe_substitute(values)


# Entry.


def entry(plan: dict[str, Any], at: datetime) -> str:
    """The first document of a call: the menu the schedules choose at this moment."""
    from autoattendant import scheduling

    active = scheduling.active(plan["schedules"], plan["timezoneId"], plan.get("defaultMenuSid"), at)
    menu_sid = active["menuSid"]
    if not menu_sid or menu_sid not in plan["menus"]:
        return render(plan, "notConfigured", None)
    return render(plan, f"menu:{menu_sid}", CallState(path=(menu_sid,)))


def menu(plan: dict[str, Any], menu_sid: str, params) -> str:
    state = CallState.parse({**_dict(params), "path": params.get("path") or menu_sid}, plan)
    if state.menu != menu_sid:
        raise UnknownStep(f"menu {menu_sid} is not the end of the path")
    return render(plan, f"menu:{menu_sid}", state)


# Input.


def _exceeded(plan: dict[str, Any], state: CallState, counter: str, retry: str, prompt: str | None = None) -> str:
    """Count one more miss; below the system's limit retry (with `prompt`, by default the policy's own
    retry document), at the limit apply its policy action."""
    state = replace(state, **{counter: getattr(state, counter) + 1})
    policy = LIMIT_OF[counter]
    if getattr(state, counter) >= plan["limits"][policy]:
        return render(plan, f"policy:{policy}", state)
    return render(plan, prompt or f"retry:{policy}", state, retry=retry.replace("$state", state.query()))


def menu_input(plan: dict[str, Any], menu_sid: str, params) -> str:
    state = CallState.parse(params, plan)
    if state.menu != menu_sid:
        raise UnknownStep(f"menu {menu_sid} is not the end of the path")
    digits = (params.get("Digits") or "").strip()
    menu_entry = plan["menus"][menu_sid]
    retry = f"{base_url(plan)}/menu/{menu_sid}?$state"
    if not digits:
        return _exceeded(plan, state, "t", retry)
    if digits in menu_entry["keys"]:
        return render(plan, f"option:{menu_sid}:{digits}", state.reset())
    if menu_entry["dialByExtension"] and len(digits) > 1:
        if digits in plan["extensions"]:
            return render(plan, f"extension:{digits}", state.reset())
        return _exceeded(plan, state, "e", retry)
    return _exceeded(plan, state, "i", retry)


def extension_prompt(plan: dict[str, Any], params) -> str:
    return render(plan, "dialByExtension", CallState.parse(params, plan))


def extension_input(plan: dict[str, Any], params) -> str:
    state = CallState.parse(params, plan)
    digits = (params.get("Digits") or "").strip()
    retry = f"{base_url(plan)}/extension?$state"
    if not digits:
        return _exceeded(plan, state, "t", retry)
    if digits in plan["extensions"]:
        return render(plan, f"extension:{digits}", state.reset())
    return _exceeded(plan, state, "e", retry)


# Dial by name.


def directory_prompt(plan: dict[str, Any], params) -> str:
    return render(plan, "directory", CallState.parse(params, plan))


def directory_input(plan: dict[str, Any], params) -> str:
    """Match keypad letters against spoken names; one match transfers, several are read back."""
    state = CallState.parse(params, plan)
    digits = (params.get("Digits") or "").strip()
    retry = f"{base_url(plan)}/directory?$state"
    if not digits:
        return _exceeded(plan, state, "t", retry)
    matches = [entry for entry in plan["directory"] if entry["digits"].startswith(digits)][:9]
    if not matches:
        return _exceeded(plan, state, "i", retry, prompt="noMatch")
    if len(matches) == 1:
        only = matches[0]
        transfer = render(plan, f"extension:{only['extension']}", state.reset())
        return response(_say(f"Transferring to {only['name']}."), _body(transfer))
    choices = ",".join(entry["extension"] for entry in matches)
    spoken = " ".join(f"For {entry['name']}, press {n}." for n, entry in enumerate(matches, start=1))
    action = f"{base_url(plan)}/directory-choice?m={choices}&amp;{state.reset().query()}"
    return response(
        f'<Gather action="{action}" method="POST" numDigits="1" timeout="5" finishOnKey="">{_say(spoken)}</Gather>',
        f'<Redirect method="POST">{action}</Redirect>',
    )


def directory_choice(plan: dict[str, Any], params) -> str:
    state = CallState.parse(params, plan)
    choices = [c for c in (params.get("m") or "").split(",") if c in plan["extensions"]]
    digits = (params.get("Digits") or "").strip()
    retry = f"{base_url(plan)}/directory?$state"
    if not digits:
        return _exceeded(plan, state, "t", retry)
    if digits.isdigit() and 1 <= int(digits) <= len(choices):
        return render(plan, f"extension:{choices[int(digits) - 1]}", state.reset())
    return _exceeded(plan, state, "i", retry)


# After a transfer, and voicemail.


def dial_done(plan: dict[str, Any], params) -> str:
    """A completed transfer ends the call; an unanswered one offers the extension's voicemail."""
    state = CallState.parse(params, plan)
    if (params.get("DialCallStatus") or "").lower() == "completed":
        return response("<Hangup/>")
    extension = plan["extensions"].get(params.get("ext") or "")
    if extension is not None:
        return render(plan, "voicemail", state, box=extension["sid"])
    return render(plan, "unavailable", state)


def voicemail_prompt(plan: dict[str, Any], params) -> str:
    box = params.get("box") or "system"
    if box != "system" and box not in plan["voicemailBoxes"]:
        box = "system"
    return render(plan, "voicemail", CallState.parse(params, plan), box=box)


def voicemail_saved(plan: dict[str, Any], params) -> str:
    return render(plan, "messageSaved", CallState.parse(params, plan))


def _say(words: str) -> str:
    """A prompt made at request time (not a template: no `$` doubling)."""
    return f"<Say>{escape(words)}</Say>"


def _body(document: str) -> str:
    """The verbs of a rendered document, to follow others in one response."""
    return document.removeprefix("<Response>").removesuffix("</Response>")


def _dict(params) -> dict[str, Any]:
    return {key: params.get(key) for key in params}
