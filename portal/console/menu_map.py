"""The map of one AA system: where a caller can go (menus as boxes, keys as arrows), drawn by Graphviz,
in words for screen readers, and what looks wrong (warnings)."""

from __future__ import annotations

import hashlib
import logging
import shutil
import subprocess
from dataclasses import dataclass

import graphviz
from django.core.cache import cache
from django.utils.safestring import SafeString, mark_safe

from autoattendant.choices import ActionType, PublishStatus
from autoattendant.errors import AAError
from autoattendant.models import Announcement, AutoAttendantSystem
from autoattendant.services.actions import validate_action
from portal.console import actions

log = logging.getLogger(__name__)
RENDER_TIMEOUT_SECONDS = 10
MENU_STYLE = {"shape": "box", "style": "rounded,filled", "fillcolor": "#e8f0fe", "color": "#1f5fbf"}
END_STYLE = {"shape": "box", "style": "filled", "fillcolor": "#f5f6f8", "color": "#aab2c0", "fontsize": "11"}


@dataclass
class Key:
    key: str
    action: dict
    words: str
    menu_sid: str | None  # the menu it leads to, if any
    problem: str = ""


class MenuMap:
    def __init__(self, system: AutoAttendantSystem):
        self.system = system
        self.menus = list(system.menus.select_related("greeting_announcement").order_by("date_created", "id"))
        self.schedules = list(system.schedules.select_related("menu").order_by("date_created", "id"))
        announcements = Announcement.objects.filter(enterprise_id=system.enterprise_id).values_list("sid", "name")
        extensions = system.phone_numbers.filter(is_extension=True)
        self.names = {sid: name for sid, name in announcements}
        self.names.update({menu.sid: menu.name for menu in self.menus})
        self.names.update(
            {e.sid: f"extension {e.extension or e.number} {e.extension_spoken_name}".strip() for e in extensions}
        )
        self.default_sid = system.default_menu.sid if system.default_menu else None
        self.keys = {menu.sid: [self._key(menu, option) for option in menu.options] for menu in self.menus}

    def describe(self, action: dict | None) -> str:
        return actions.describe(action, self.names)

    def _key(self, menu, option: dict) -> Key:
        action = {name: value for name, value in option.items() if name != "key"}
        goes_to = action.get("actionData") if action.get("actionType") == ActionType.GO_TO_MENU else None
        if action.get("actionType") == ActionType.RETURN_TO_MAIN_MENU:
            goes_to = self.default_sid
        problem = ""
        try:
            validate_action(f"options[{option.get('key')}]", action, self.system)
        except AAError as exc:
            problem = f"{exc.message} ({exc.error_code.code})"
        return Key(option.get("key", "?"), action, self.describe(action), goes_to, problem)

    # What is reachable, and what looks wrong.
    def reachable(self) -> set[str]:
        todo = [sid for sid in [self.default_sid, *(s.menu.sid for s in self.schedules)] if sid]
        seen: set[str] = set()
        while todo:
            sid = todo.pop()
            if sid in seen:
                continue
            seen.add(sid)
            todo.extend(key.menu_sid for key in self.keys.get(sid, []) if key.menu_sid)
        return seen

    def warnings(self) -> list[str]:
        found = []
        system = self.system
        if not self.default_sid:
            found.append(
                "The system has no default menu: outside every schedule, callers hear nothing and are hung up."
            )
        reachable = self.reachable()
        for menu in self.menus:
            if menu.sid not in reachable:
                found.append(f"Menu “{menu.name}” is not reached by any schedule, key or the default menu.")
            greeting = menu.greeting_announcement
            if greeting is not None and greeting.status == "FAILED":
                found.append(f"Menu “{menu.name}”: its greeting “{greeting.name}” failed to render.")
            for key in self.keys[menu.sid]:
                if key.problem:
                    found.append(f"Menu “{menu.name}”, key {key.key}: {key.problem} — choose another target.")
                if key.action.get("actionType") == ActionType.TRANSFER_TO_OPERATOR and not system.operator_extension_id:
                    found.append(f"Menu “{menu.name}”, key {key.key} goes to the operator, but no operator is set.")
        if system.publish_status == PublishStatus.FAILED:
            found.append(f"The last publish failed: {system.publish_error or 'see the logs'}.")
        if not any(not n.is_extension for n in system.phone_numbers.all()):
            found.append("The system has no AA number: nobody can call it yet.")
        return found

    # The picture.
    def dot_source(self) -> str:
        graph = graphviz.Digraph(
            "menus",
            graph_attr={"rankdir": "LR", "fontname": "Helvetica", "bgcolor": "transparent", "nodesep": "0.3"},
            node_attr={"fontname": "Helvetica", "fontsize": "12"},
            edge_attr={"fontname": "Helvetica", "fontsize": "11", "color": "#5a6272"},
        )
        graph.node("call", "Caller", shape="circle", style="filled", fillcolor="#16213a", fontcolor="white")
        for menu in self.menus:
            greeting = menu.greeting_announcement.name if menu.greeting_announcement else "no greeting"
            extra = "\\ndial by extension" if menu.allow_dial_by_extension else ""
            label = f"{graphviz.escape(menu.name)}\\n♪ {graphviz.escape(greeting)}{extra}"
            graph.node(menu.sid, label, **MENU_STYLE)
        if self.default_sid:
            graph.edge("call", self.default_sid, label="default", style="bold")
        for schedule in self.schedules:
            graph.edge("call", schedule.menu.sid, label=graphviz.escape(schedule.name), style="dashed")
        for menu in self.menus:
            for key in self.keys[menu.sid]:
                color = "#b3261e" if key.problem else "#5a6272"
                if key.menu_sid:
                    graph.edge(menu.sid, key.menu_sid, label=key.key, color=color, fontcolor=color)
                elif key.action.get("actionType") == ActionType.REPEAT_MENU:
                    graph.edge(menu.sid, menu.sid, label=key.key, color=color)
                else:
                    end = f"{menu.sid}-{key.key}"
                    graph.node(end, graphviz.escape(key.words), **END_STYLE)
                    graph.edge(menu.sid, end, label=key.key, color=color, fontcolor=color)
        return graph.source

    def svg(self) -> SafeString | None:
        """The map as inline SVG (Graphviz escapes the names), or None when `dot` is missing or fails."""
        source = self.dot_source()
        cache_key = "menu-map-svg:" + hashlib.sha256(source.encode()).hexdigest()
        svg = cache.get(cache_key)
        if svg is None:
            dot = shutil.which("dot")
            if dot is None:
                return None
            try:
                done = subprocess.run(
                    [dot, "-Tsvg"], input=source.encode(), capture_output=True, timeout=RENDER_TIMEOUT_SECONDS
                )
            except subprocess.TimeoutExpired:
                log.warning("dot took more than %s s for system %s", RENDER_TIMEOUT_SECONDS, self.system.sid)
                return None
            if done.returncode != 0:
                log.warning("dot failed for system %s: %s", self.system.sid, done.stderr[-500:])
                return None
            text = done.stdout.decode()
            svg = text[text.index("<svg") :]
            cache.set(cache_key, svg, timeout=24 * 3600)
        label = f"Map of {self.system.name}: menus as boxes, keys as arrows"
        return mark_safe(svg.replace("<svg", f'<svg role="img" aria-label="{_attr(label)}"', 1))  # noqa: S308

    def outline(self) -> list[dict]:
        """The map in words: each menu, how callers reach it, and each key."""
        entries: dict[str, list[str]] = {}
        if self.default_sid:
            entries.setdefault(self.default_sid, []).append("default menu")
        for schedule in self.schedules:
            entries.setdefault(schedule.menu.sid, []).append(f"schedule “{schedule.name}”")
        return [
            {
                "menu": menu,
                "reached_by": entries.get(menu.sid, []),
                "keys": sorted(self.keys[menu.sid], key=lambda k: "123456789*0#".find(k.key)),
            }
            for menu in self.menus
        ]


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
