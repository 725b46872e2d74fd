"""AA systems: their numbers and extensions, time zone and policies (CSP admins create them; enterprise
and AA admins shape them), and the overview page with the menu map and its warnings."""

from __future__ import annotations

import zoneinfo
from functools import cache

from django import forms
from django.contrib import messages
from django.db.models import Prefetch
from django.db.models.functions import Lower
from django.shortcuts import redirect, render
from django.urls import path
from django.views import View

from autoattendant.choices import Role, SystemStatus
from autoattendant.errors import AAError, Code
from autoattendant.models import AutoAttendantSystem, Enterprise, PhoneNumber
from autoattendant.services import systems
from autoattendant.services.access import access_enterprise, access_system
from portal.console import menu_map
from portal.console.actions import TARGET_KINDS, action_from, action_initial, add_action_fields, target_choices
from portal.console.base import ConsoleListView, ConsoleMixin, call_service, fetch, refused
from portal.console.registrations import with_registrations

POLICIES = (
    ("timeout", "When the caller presses nothing"),
    ("invalid_input", "When the caller presses a key with no action"),
    ("invalid_extension", "When the caller dials an extension that does not exist"),
)
FIELDS = {
    Code.UNKNOWN_TIMEZONE: "timezone_id",
    Code.EXTENSION_AS_AA_NUMBER: "aa_numbers",
    Code.NUMBER_IN_OTHER_SYSTEM: "aa_numbers",
    Code.NOT_AN_EXTENSION: "extensions",
    Code.MENU_NOT_FOUND: "default_menu",
    Code.EXTENSION_NOT_IN_SYSTEM: "operator_extension",
}
NAMES = {
    "timezoneId": "timezone_id",
    "timeoutAction": "timeout_type",
    "invalidInputAction": "invalid_input_type",
    "invalidExtensionAction": "invalid_extension_type",
    "operatorExtensionSid": "operator_extension",
    "enterpriseSid": "name",
}


@cache
def timezone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


def _number_label(number: PhoneNumber) -> str:
    if number.is_extension:
        return f"{number.extension or '—'} · {number.number} {number.extension_spoken_name}".strip()
    return f"{number.number} {number.friendly_name}".strip()


class SystemForm(forms.Form):
    name = forms.CharField(max_length=200)
    status = forms.ChoiceField(choices=SystemStatus.choices, help_text="An inactive system's numbers answer 480.")
    timezone_id = forms.ChoiceField(label="Time zone", help_text="Schedules are read in this time zone.")
    aa_numbers = forms.MultipleChoiceField(
        label="AA numbers", required=False, widget=forms.CheckboxSelectMultiple, help_text="The numbers callers dial."
    )
    extensions = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, help_text="The extensions callers may reach."
    )
    default_menu = forms.ChoiceField(label="Default menu", required=False, help_text="Answers when no schedule does.")
    operator_extension = forms.ChoiceField(label="Operator", required=False, help_text="Where key 0 / operator goes.")
    timeout_seconds = forms.IntegerField(label="Seconds to wait for a key", min_value=1, max_value=120, initial=5)

    def __init__(self, *args, actor, enterprise, system=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor, self.system = actor, system
        self.fields["timezone_id"].choices = timezone_choices()
        numbers = enterprise.phone_numbers.filter(aa_system__isnull=True)
        if system is not None:
            numbers = enterprise.phone_numbers.filter(aa_system__isnull=True) | system.phone_numbers.all()
        numbers = list(numbers.order_by("is_extension", "extension", "number"))
        self.fields["aa_numbers"].choices = [(n.sid, _number_label(n)) for n in numbers if not n.is_extension]
        self.fields["extensions"].choices = [(n.sid, _number_label(n)) for n in numbers if n.is_extension]
        if system is None:
            for name in ("status", "default_menu", "operator_extension"):
                del self.fields[name]
        else:
            self.fields["default_menu"].choices = [("", "—")] + [(m.sid, m.name) for m in system.menus.order_by("name")]
            extensions = system.phone_numbers.filter(is_extension=True).order_by("extension")
            self.fields["operator_extension"].choices = [("", "—")] + [(e.sid, _number_label(e)) for e in extensions]
            if actor.role != Role.CSP_ADMIN:
                self.fields["aa_numbers"].disabled = True
                self.fields["aa_numbers"].help_text = "Only your provider assigns AA numbers."
            if actor.role == Role.AA_ADMIN:
                self.fields["extensions"].disabled = True
        targets = target_choices(system) if system is not None else [("", "—")]
        for prefix, label in POLICIES:
            add_action_fields(self, prefix, label, targets, required=True)
            self.fields[f"{prefix}_max_occurance"] = forms.IntegerField(
                label=f"{label}: times before it applies", min_value=1, max_value=20, initial=3
            )

    @classmethod
    def initial_for(cls, system: AutoAttendantSystem) -> dict:
        numbers = list(system.phone_numbers.values_list("sid", "is_extension"))
        initial = {
            "name": system.name,
            "status": system.status,
            "timezone_id": system.timezone_id,
            "aa_numbers": [sid for sid, is_extension in numbers if not is_extension],
            "extensions": [sid for sid, is_extension in numbers if is_extension],
            "default_menu": system.default_menu.sid if system.default_menu else "",
            "operator_extension": system.operator_extension.sid if system.operator_extension else "",
            "timeout_seconds": system.timeout_seconds,
        }
        for prefix, _ in POLICIES:
            initial.update(action_initial(prefix, getattr(system, f"{prefix}_action")))
            initial[f"{prefix}_max_occurance"] = getattr(system, f"{prefix}_max_occurance")
        return initial

    def service_args(self) -> dict:
        data = self.cleaned_data
        args = {"name": data["name"], "timezone_id": data["timezone_id"], "timeout_seconds": data["timeout_seconds"]}
        for prefix, _ in POLICIES:
            args[f"{prefix}_action"] = action_from(data, prefix)
            args[f"{prefix}_max_occurance"] = data[f"{prefix}_max_occurance"]
        if not self.fields["aa_numbers"].disabled:
            args["aa_number_sids"] = data["aa_numbers"]
        if not self.fields["extensions"].disabled:
            args["extension_sids"] = data["extensions"]
        if self.system is not None:
            args["status"] = data["status"]
            args["default_menu_sid"] = data["default_menu"] or None
            args["operator_extension_sid"] = data["operator_extension"] or None
        return args


class SystemList(ConsoleListView):
    model = AutoAttendantSystem
    template_name = "console/systems/list.html"
    search_fields = ("name", "enterprise__name")
    sort_fields = {"name": Lower("name"), "enterprise": Lower("enterprise__name"), "created": "date_created"}
    default_sort = "name"

    def get_queryset(self):
        aa_numbers = Prefetch(
            "phone_numbers", PhoneNumber.objects.filter(is_extension=False).order_by("number"), to_attr="aa_numbers"
        )
        return super().get_queryset().select_related("enterprise").prefetch_related(aa_numbers)


class SystemCreate(ConsoleMixin, View):
    """Two steps: the enterprise first, since the numbers offered are that enterprise's."""

    roles = systems.PERMISSIONS.create
    template_name = "console/systems/form.html"

    def enterprise(self, request):
        sid = request.POST.get("enterprise") or request.GET.get("enterprise")
        return fetch(access_enterprise, request.user, sid) if sid else None

    def get(self, request):
        enterprise = self.enterprise(request)
        if enterprise is None:
            choices = Enterprise.objects.visible_to(request.user).order_by(Lower("name"))
            return render(request, "console/systems/choose_enterprise.html", {"enterprises": choices})
        form = SystemForm(actor=request.user, enterprise=enterprise, initial={"timezone_id": "UTC"})
        return render(
            request, self.template_name, {"form": form, "enterprise": enterprise, "action_targets": TARGET_KINDS}
        )

    def post(self, request):
        enterprise = self.enterprise(request)
        if enterprise is None:
            return redirect("console:system_create")
        form = SystemForm(request.POST, actor=request.user, enterprise=enterprise)
        if form.is_valid():
            system = call_service(
                form, systems.create_system, request.user, enterprise_sid=enterprise.sid, **form.service_args(),
                fields=FIELDS, names=NAMES,
            )  # fmt: skip
            if system is not None:
                messages.success(request, f"AA system {system.name} created. Now give it menus.")
                return redirect("console:system", system.sid)
        context = {"form": form, "enterprise": enterprise, "action_targets": TARGET_KINDS}
        return render(request, self.template_name, context, status=400)


class SystemEdit(ConsoleMixin, View):
    template_name = "console/systems/form.html"

    def get(self, request, sid):
        system = fetch(access_system, request.user, sid)
        form = SystemForm(
            actor=request.user, enterprise=system.enterprise, system=system, initial=SystemForm.initial_for(system)
        )
        context = {"form": form, "system": system, "enterprise": system.enterprise, "action_targets": TARGET_KINDS}
        return render(request, self.template_name, context)

    def post(self, request, sid):
        system = fetch(access_system, request.user, sid)
        form = SystemForm(
            request.POST, actor=request.user, enterprise=system.enterprise, system=system,
            initial=SystemForm.initial_for(system),
        )  # fmt: skip
        if form.is_valid():
            updated = call_service(
                form, systems.update_system, request.user, sid, **form.service_args(), fields=FIELDS, names=NAMES
            )
            if updated is not None:
                messages.success(request, f"AA system {updated.name} saved.")
                return redirect("console:system", sid)
        context = {"form": form, "system": system, "enterprise": system.enterprise, "action_targets": TARGET_KINDS}
        return render(request, self.template_name, context, status=400)


class SystemDelete(ConsoleMixin, View):
    roles = systems.PERMISSIONS.delete

    def post(self, request, sid):
        fetch(access_system, request.user, sid)
        try:
            system = systems.delete_system(request.user, sid)
        except AAError as exc:
            refused(request, "Not deleted", exc, "Take its numbers out of it first.")
            return redirect("console:system", sid)
        messages.success(request, f"AA system {system.name} deleted.")
        return redirect("console:systems")


class SystemOverview(ConsoleMixin, View):
    def get(self, request, sid):
        system = fetch(access_system, request.user, sid)
        system = (
            AutoAttendantSystem.objects.select_related("enterprise", "default_menu", "operator_extension")
            .prefetch_related("phone_numbers")
            .get(pk=system.pk)
        )
        the_map = menu_map.MenuMap(system)
        numbers = sorted(system.phone_numbers.all(), key=lambda n: (n.is_extension, n.extension, n.number))
        # Which SIP clients' phones are registered, for the roles that may read it.
        extensions = with_registrations([n for n in numbers if n.is_extension], request.user)
        context = {
            "system": system,
            "tab": "overview",
            "aa_numbers": [n for n in numbers if not n.is_extension],
            "extensions": extensions,
            "policies": [
                (
                    label,
                    the_map.describe(getattr(system, f"{prefix}_action")),
                    getattr(system, f"{prefix}_max_occurance"),
                )
                for prefix, label in POLICIES
            ],
            "map": the_map,
        }
        return render(request, "console/systems/overview.html", context)


urlpatterns = [
    path("systems/", SystemList.as_view(), name="systems"),
    path("systems/new/", SystemCreate.as_view(), name="system_create"),
    path("systems/<str:sid>/", SystemOverview.as_view(), name="system"),
    path("systems/<str:sid>/edit/", SystemEdit.as_view(), name="system_edit"),
    path("systems/<str:sid>/delete/", SystemDelete.as_view(), name="system_delete"),
]
