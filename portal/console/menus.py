"""Menus: the greeting and an action for each key of the phone (0-9 * #), edited as a keypad."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.views import View

from autoattendant.errors import AAError, Code
from autoattendant.models import Announcement
from autoattendant.services import menus, systems
from autoattendant.services.access import access_system
from portal.console import menu_map
from portal.console.actions import TARGET_KINDS, action_from, action_initial, add_action_fields, target_choices
from portal.console.base import ConsoleMixin, call_service, fetch, refused

KEYPAD = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"]
KEY_NAMES = {"*": "star", "#": "hash"}
FIELDS = {Code.ANNOUNCEMENT_NOT_FOUND: "greeting"}


def prefix_of(key: str) -> str:
    return f"key_{KEY_NAMES.get(key, key)}"


class MenuForm(forms.Form):
    name = forms.CharField(max_length=200)
    greeting = forms.ChoiceField(required=False, help_text="What callers hear first, before they press a key.")
    allow_dial_by_extension = forms.BooleanField(
        label="Allow dial by extension", required=False, help_text="Callers may type an extension's digits."
    )

    def __init__(self, *args, system, **kwargs):
        super().__init__(*args, **kwargs)
        announcements = Announcement.objects.filter(enterprise_id=system.enterprise_id).order_by("name", "id")
        self.fields["greeting"].choices = [("", "No greeting")] + [
            (a.sid, a.name if a.status == "READY" else f"{a.name} ({a.get_status_display().lower()})")
            for a in announcements
        ]
        targets = target_choices(system)
        for key in KEYPAD:
            add_action_fields(self, prefix_of(key), f"Key {key}", targets)

    @classmethod
    def initial_for(cls, menu) -> dict:
        initial = {
            "name": menu.name,
            "greeting": menu.greeting_announcement.sid if menu.greeting_announcement_id else "",
            "allow_dial_by_extension": menu.allow_dial_by_extension,
        }
        for option in menu.options:
            initial.update(action_initial(prefix_of(option["key"]), option))
        return initial

    def key_rows(self):
        for key in KEYPAD:
            prefix = prefix_of(key)
            yield {"key": key, "type": self[f"{prefix}_type"], "target": self[f"{prefix}_target"],
                   "number": self[f"{prefix}_number"]}  # fmt: skip

    def service_args(self) -> dict:
        data = self.cleaned_data
        options = []
        for key in KEYPAD:
            action = action_from(data, prefix_of(key))
            if action is not None:
                options.append({"key": key, **action})
        return {
            "name": data["name"],
            "greeting_announcement_sid": data["greeting"] or None,
            "allow_dial_by_extension": data["allow_dial_by_extension"],
            "options": options,
        }


def _names() -> dict[str, str]:
    """Where the services' field names point in the form: options[1] -> key 1's action."""
    names = {f"options[{key}]": f"{prefix_of(key)}_type" for key in KEYPAD}
    return {**names, "options": "name", "greetingAnnouncementSid": "greeting"}


def _menu_of(request, system, menu_sid):
    menu = fetch(menus.access_menu, request.user, menu_sid)
    if menu.aa_system_id != system.pk:
        raise Http404("No such menu in this system")
    return menu


class MenuList(ConsoleMixin, View):
    def get(self, request, sid):
        system = fetch(access_system, request.user, sid)
        the_map = menu_map.MenuMap(system)
        return render(request, "console/menus/list.html", {"system": system, "tab": "menus", "map": the_map})


class MenuEdit(ConsoleMixin, View):
    template_name = "console/menus/form.html"

    def context(self, system, form, menu=None):
        return {"system": system, "tab": "menus", "form": form, "menu": menu, "action_targets": TARGET_KINDS}

    def get(self, request, sid, menu_sid=None):
        system = fetch(access_system, request.user, sid)
        menu = _menu_of(request, system, menu_sid) if menu_sid else None
        form = MenuForm(system=system, initial=MenuForm.initial_for(menu) if menu else None)
        return render(request, self.template_name, self.context(system, form, menu))

    def post(self, request, sid, menu_sid=None):
        system = fetch(access_system, request.user, sid)
        menu = _menu_of(request, system, menu_sid) if menu_sid else None
        form = MenuForm(request.POST, system=system)
        if form.is_valid():
            args = form.service_args()
            if menu is None:
                saved = call_service(
                    form, menus.create_menu, request.user, aa_system_sid=system.sid, **args, fields=FIELDS,
                    names=_names(),
                )  # fmt: skip
            else:
                saved = call_service(
                    form, menus.update_menu, request.user, menu.sid, **args, fields=FIELDS, names=_names()
                )
            if saved is not None:
                messages.success(request, f"Menu {saved.name} saved.")
                return redirect("console:menus", system.sid)
        return render(request, self.template_name, self.context(system, form, menu), status=400)


class MenuDelete(ConsoleMixin, View):
    def post(self, request, sid, menu_sid):
        system = fetch(access_system, request.user, sid)
        menu = _menu_of(request, system, menu_sid)
        try:
            menus.delete_menu(request.user, menu.sid)
        except AAError as exc:
            refused(request, f"Menu {menu.name} not deleted", exc)
            return redirect("console:menus", system.sid)
        messages.success(request, f"Menu {menu.name} deleted.")
        return redirect("console:menus", system.sid)


class MenuSetDefault(ConsoleMixin, View):
    def post(self, request, sid, menu_sid):
        system = fetch(access_system, request.user, sid)
        menu = _menu_of(request, system, menu_sid)
        try:
            systems.update_system(request.user, system.sid, default_menu_sid=menu.sid)
        except AAError as exc:
            refused(request, "Not changed", exc)
        else:
            messages.success(request, f"{menu.name} is now the default menu.")
        return redirect("console:menus", system.sid)


urlpatterns = [
    path("systems/<str:sid>/menus/", MenuList.as_view(), name="menus"),
    path("systems/<str:sid>/menus/new/", MenuEdit.as_view(), name="menu_create"),
    path("systems/<str:sid>/menus/<str:menu_sid>/", MenuEdit.as_view(), name="menu"),
    path("systems/<str:sid>/menus/<str:menu_sid>/delete/", MenuDelete.as_view(), name="menu_delete"),
    path("systems/<str:sid>/menus/<str:menu_sid>/default/", MenuSetDefault.as_view(), name="menu_default"),
]
