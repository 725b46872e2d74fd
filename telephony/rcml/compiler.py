"""The RCML compiler: an AA system snapshot (telephony.rcml.snapshot) in, a published plan out.

Pure: no database, no clock, no network. A plan holds every RCML document a call through the
system can need, as templates, and the small tables the serving endpoints route with (which key
leads to which document, extensions, the directory, the schedules). Serving a step of a call is then
a dictionary look-up and a substitution of the call's state into the template — never compilation.

Templates use `string.Template` placeholders, filled per request by telephony.rcml.flow:
    $base   /rcml/{aaSystemSid}/{version}
    $state  the call's state query (path of menus, counters), XML-escaped
    $reset  the same path with the counters at zero
    $menu   the current menu's SID;  $path  the path of menus, dot-joined
    $prev_menu / $prev_state, $main_menu / $main_state   for RETURN_TO_PREVIOUS/MAIN_MENU
    $retry  where a retry prompt returns to (the menu or the extension prompt)
User text (announcement text, spoken names) is XML-escaped and has `$` doubled, so it cannot
inject placeholders or markup.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape, quoteattr

from autoattendant.choices import ActionType, AnnouncementStatus, AnnouncementType, ExtensionType

DIAL_TIMEOUT_SECONDS = 30
DIGIT_TIMEOUT_SECONDS = 3
VOICEMAIL_MAX_SECONDS = 120

# System prompts, spoken with <Say> (the executor renders them through the portal's TTS).
PROMPTS = {
    "select": "Please make your selection.",
    "no_input": "Sorry, we did not receive your selection.",
    "invalid_input": "Sorry, that is not a valid option.",
    "invalid_extension": "Sorry, that extension is not valid.",
    "enter_extension": "Please enter the extension number, then press pound.",
    "enter_name": "Please enter the first letters of the person's name, then press pound.",
    "no_operator": "Sorry, no operator is available.",
    "unavailable": "Sorry, the person you are calling is not available.",
    "leave_message": "Please leave a message after the tone. Press pound when you are done.",
    "message_saved": "Thank you. Your message has been saved. Goodbye.",
    "goodbye": "Thank you for calling. Goodbye.",
    "not_configured": "Sorry, this number is not in service. Goodbye.",
    "no_match": "Sorry, no name matches.",
}

KEYPAD = {
    **dict.fromkeys("abc", "2"),
    **dict.fromkeys("def", "3"),
    **dict.fromkeys("ghi", "4"),
    **dict.fromkeys("jkl", "5"),
    **dict.fromkeys("mno", "6"),
    **dict.fromkeys("pqrs", "7"),
    **dict.fromkeys("tuv", "8"),
    **dict.fromkeys("wxyz", "9"),
}


# <Say language="…">: the codes of chapter 3 (Table 3.3). Announcements take espeak-ng codes (en-us,
# pt-br, da, …): each is said in its chapter-3 form, or with no attribute (the default, en) if none.
SAY_LANGUAGES = frozenset("bf bp en en-gb cf cs dan fi es fr de el it nl no pl pt ru ar ca sv tr".split())
SAY_LANGUAGE_ALIASES = {"pt-br": "bp", "fr-ca": "cf", "fr-be": "bf", "da": "dan", "nb": "no", "en-uk": "en-gb"}


def say_language(code: str | None) -> str | None:
    code = (code or "en").strip().lower().replace("_", "-")
    if code in SAY_LANGUAGES:
        return code
    if code in SAY_LANGUAGE_ALIASES:
        return SAY_LANGUAGE_ALIASES[code]
    primary = code.split("-")[0]
    return SAY_LANGUAGE_ALIASES.get(primary, primary if primary in SAY_LANGUAGES else None)


class CompileError(Exception):
    """The configuration cannot be published as it is; the message says what to fix."""


def text(value: str) -> str:
    """User text inside an RCML element: XML-escaped, `$` doubled for string.Template."""
    return escape(value).replace("$", "$$")


def say(prompt: str) -> str:
    return f"<Say>{text(PROMPTS.get(prompt, prompt))}</Say>"


def redirect(url: str) -> str:
    return f'<Redirect method="POST">{url}</Redirect>'


def response(*verbs: str) -> str:
    return "<Response>" + "".join(verbs) + "</Response>"


def keypad_digits(name: str) -> str:
    """The digits that spell a name's letters on a phone keypad ("Alice" -> "25423")."""
    return "".join(KEYPAD[c] for c in name.lower() if c in KEYPAD)


class Compiler:
    def __init__(self, snapshot: dict[str, Any], version: int):
        self.snapshot = snapshot
        self.version = version
        self.policies = snapshot["policies"]
        self.menus = {menu["sid"]: menu for menu in snapshot["menus"]}
        self.extensions_by_sid = {ext["sid"]: ext for ext in snapshot["extensions"]}
        self.announcements = snapshot["announcements"]
        self.documents: dict[str, str] = {}

    # Pieces.
    def prompt(self, announcement_sid: str | None, where: str) -> str:
        """Play a ready announcement; speak a TTS one that is still rendering; refuse anything else."""
        if not announcement_sid:
            return ""
        announcement = self.announcements.get(announcement_sid)
        if announcement is None:
            raise CompileError(f"{where}: announcement {announcement_sid} does not exist")
        if announcement["status"] == AnnouncementStatus.READY and announcement["audioUri"]:
            return f"<Play>{escape(announcement['audioUri'])}</Play>"
        if announcement["type"] == AnnouncementType.TTS and announcement["text"]:
            voice = quoteattr(announcement["voice"] or "woman")
            language = say_language(announcement["language"])
            language_attr = f" language={quoteattr(language)}" if language else ""
            return f"<Say voice={voice}{language_attr}>{text(announcement['text'])}</Say>"
        raise CompileError(f"{where}: announcement {announcement_sid} ({announcement['name']}) is not ready")

    def transfer(self, extension: dict) -> str:
        caller_id = self.snapshot.get("extFromPhoneNumber") or ""
        caller_id_attr = f" callerId={quoteattr(caller_id)}" if caller_id else ""
        noun = "Client" if extension["type"] == ExtensionType.CLIENT else "Number"
        action = f"$base/dial-done?ext={extension['extension']}&amp;$reset"
        return response(
            f'<Dial action="{action}" method="POST" timeout="{DIAL_TIMEOUT_SECONDS}"{caller_id_attr}>'
            f"<{noun}>{text(extension['number'])}</{noun}></Dial>"
        )

    def action(self, action: dict, where: str) -> str:
        """The RCML document that performs one action (a menu key or a policy)."""
        kind = action.get("actionType")
        data = action.get("actionData")
        if kind == ActionType.HANGUP:
            return response("<Hangup/>")
        if kind == ActionType.ANNOUNCEMENT_HANGUP:
            return response(self.prompt(data, where), "<Hangup/>")
        if kind == ActionType.ANNOUNCEMENT_RETURN:
            return response(self.prompt(data, where), redirect("$base/menu/$menu?$reset"))
        if kind == ActionType.DIAL_BY_EXTENSION:
            return response(redirect("$base/extension?$reset"))
        if kind == ActionType.DIAL_BY_NAME:
            return response(redirect("$base/directory?$reset"))
        if kind == ActionType.TRANSFER_TO_EXTENSION:
            extension = self.extensions_by_sid.get(data)
            if extension is None:
                raise CompileError(f"{where}: extension {data} is not in this AA system")
            return self.transfer(extension)
        if kind == ActionType.TRANSFER_TO_NUMBER:
            caller_id = self.snapshot.get("extFromPhoneNumber") or ""
            caller_id_attr = f" callerId={quoteattr(caller_id)}" if caller_id else ""
            return response(
                f'<Dial action="$base/dial-done?$reset" method="POST" timeout="{DIAL_TIMEOUT_SECONDS}"'
                f"{caller_id_attr}><Number>{text(str(data))}</Number></Dial>"
            )
        if kind == ActionType.TRANSFER_TO_OPERATOR:
            operator = self.extensions_by_sid.get(self.snapshot.get("operatorExtensionSid") or "")
            if operator is None:
                return response(say("no_operator"), redirect("$base/menu/$menu?$reset"))
            return self.transfer(operator)
        if kind == ActionType.GO_TO_MENU:
            if data not in self.menus:
                raise CompileError(f"{where}: menu {data} is not in this AA system")
            return response(redirect(f"$base/menu/{data}?path=$path.{data}&amp;t=0&amp;i=0&amp;e=0"))
        if kind == ActionType.REPEAT_MENU:
            return response(redirect("$base/menu/$menu?$reset"))
        if kind == ActionType.RETURN_TO_PREVIOUS_MENU:
            return response(redirect("$base/menu/$prev_menu?$prev_state"))
        if kind == ActionType.RETURN_TO_MAIN_MENU:
            return response(redirect("$base/menu/$main_menu?$main_state"))
        if kind == ActionType.VOICEMAIL:
            box = data if data in self.extensions_by_sid else "system"
            return response(redirect(f"$base/voicemail?box={box}&amp;$reset"))
        raise CompileError(f"{where}: unknown actionType {kind!r}")

    def menu(self, menu: dict, max_extension_length: int) -> str:
        keys = [option["key"] for option in menu["options"]]
        greeting = self.prompt(menu["greetingAnnouncementSid"], f"menu {menu['sid']} greeting") or say("select")
        input_url = f"$base/input/{menu['sid']}?$state"
        timeout = self.policies["timeoutSeconds"]
        if menu["allowDialByExtension"] and max_extension_length > 1:
            # Keys and extension numbers share the Gather: a single key is taken after a short pause.
            finish = "" if "#" in keys else "#"
            gather = (
                f'<Gather action="{input_url}" method="POST" numDigits="{max_extension_length}" '
                f'timeout="{timeout}" finishOnKey="{finish}">'
            )
        else:
            # finishOnKey is empty so that # and * are options like any other key.
            gather = f'<Gather action="{input_url}" method="POST" numDigits="1" timeout="{timeout}" finishOnKey="">'
        return response(gather + greeting + "</Gather>", redirect(input_url))

    # The whole plan.
    def compile(self) -> dict[str, Any]:
        snapshot = self.snapshot
        extensions = {ext["extension"]: ext for ext in snapshot["extensions"] if ext["extension"]}
        max_extension_length = max((len(digits) for digits in extensions), default=0)
        for sid in (snapshot.get("defaultMenuSid"), *(s["menuSid"] for s in snapshot["schedules"])):
            if sid and sid not in self.menus:
                raise CompileError(f"menu {sid} is not in this AA system")

        documents = self.documents
        menus_table = {}
        for menu in snapshot["menus"]:
            sid = menu["sid"]
            seen = set()
            for option in menu["options"]:
                if option["key"] in seen:
                    raise CompileError(f"menu {sid}: key {option['key']} is given twice")
                seen.add(option["key"])
                documents[f"option:{sid}:{option['key']}"] = self.action(option, f"menu {sid} key {option['key']}")
            documents[f"menu:{sid}"] = self.menu(menu, max_extension_length)
            menus_table[sid] = {
                "name": menu["name"],
                "keys": sorted(seen),
                "dialByExtension": bool(menu["allowDialByExtension"]),
            }

        for policy in ("timeout", "invalidInput", "invalidExtension"):
            documents[f"policy:{policy}"] = self.action(self.policies[f"{policy}Action"], f"{policy}Action")
        documents["retry:timeout"] = response(say("no_input"), redirect("$retry"))
        documents["retry:invalidInput"] = response(say("invalid_input"), redirect("$retry"))
        documents["retry:invalidExtension"] = response(say("invalid_extension"), redirect("$retry"))
        for digits, extension in extensions.items():
            documents[f"extension:{digits}"] = self.transfer(extension)
        extension_digits = max(max_extension_length, 1)
        documents["dialByExtension"] = response(
            f'<Gather action="$base/extension-input?$state" method="POST" numDigits="{extension_digits}" '
            f'timeout="{self.policies["timeoutSeconds"]}" finishOnKey="#">{say("enter_extension")}</Gather>',
            redirect("$base/extension-input?$state"),
        )
        documents["directory"] = response(
            f'<Gather action="$base/directory-input?$state" method="POST" timeout="{DIGIT_TIMEOUT_SECONDS + 2}" '
            f'finishOnKey="#">{say("enter_name")}</Gather>',
            redirect("$base/directory-input?$state"),
        )
        documents["voicemail"] = response(
            say("leave_message"),
            f'<Record action="$base/voicemail-done?box=$box&amp;$reset" method="POST" '
            f'maxLength="{VOICEMAIL_MAX_SECONDS}" finishOnKey="#" playBeep="true"/>',
            say("goodbye"),
            "<Hangup/>",
        )
        documents["messageSaved"] = response(say("message_saved"), "<Hangup/>")
        documents["unavailable"] = response(say("unavailable"), redirect("$retry"))
        documents["goodbye"] = response(say("goodbye"), "<Hangup/>")
        documents["notConfigured"] = response(say("not_configured"), "<Hangup/>")
        documents["noMatch"] = response(say("no_match"), redirect("$retry"))

        directory = sorted(
            (
                {"digits": keypad_digits(ext["spokenName"]), "extension": digits, "name": ext["spokenName"]}
                for digits, ext in extensions.items()
                if ext["spokenName"] and keypad_digits(ext["spokenName"])
            ),
            key=lambda entry: (entry["name"].lower(), entry["extension"]),
        )
        return {
            "aaSystemSid": snapshot["aaSystemSid"],
            "version": self.version,
            "status": snapshot["status"],
            "timezoneId": snapshot["timezoneId"],
            "defaultMenuSid": snapshot.get("defaultMenuSid"),
            "schedules": snapshot["schedules"],
            "limits": {
                "timeout": self.policies["timeoutMaxOccurance"],
                "invalidInput": self.policies["invalidInputMaxOccurance"],
                "invalidExtension": self.policies["invalidExtensionMaxOccurance"],
            },
            "menus": menus_table,
            "extensions": {
                digits: {"sid": ext["sid"], "name": ext["spokenName"], "type": ext["type"]}
                for digits, ext in extensions.items()
            },
            "voicemailBoxes": {ext["sid"]: ext["extension"] for ext in snapshot["extensions"]},
            "directory": directory,
            "documents": documents,
        }


def compile_plan(snapshot: dict[str, Any], version: int) -> dict[str, Any]:
    return Compiler(snapshot, version).compile()
