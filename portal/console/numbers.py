"""Phone numbers and extensions, for CSP admins: one at a time, or many from a CSV file imported by a
Celery task while the page shows its progress."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db.models.functions import Lower
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.views import View

from autoattendant.choices import ExtensionType
from autoattendant.errors import AAError, Code
from autoattendant.models import Enterprise, NumberImport, PhoneNumber
from autoattendant.services import number_imports, phone_numbers
from autoattendant.services.access import access_phone_number
from portal.console.base import ConsoleListView, ConsoleMixin, call_service, fetch, refused
from portal.console.registrations import with_registrations

FIELDS = {
    Code.NUMBER_NOT_UNIQUE: "number",
    Code.EXTENSION_NOT_UNIQUE: "extension",
    Code.CLIENT_PASSWORD_NEEDED: "extension_client_password",
    Code.ENTERPRISE_NOT_FOUND: "enterprise",
}
NAMES = {
    "extension": "extension",
    "number": "number",
    "extensionClientPassword": "extension_client_password",
    "file": "file",
}


def enterprise_choices(actor) -> list[tuple[str, str]]:
    return [(e.sid, e.name) for e in Enterprise.objects.visible_to(actor).order_by(Lower("name"), "id")]


class NumberForm(forms.Form):
    enterprise = forms.ChoiceField()
    number = forms.CharField(
        max_length=64,
        help_text="Digits with an optional +, e.g. +14155550100; for a SIP client, its login (e.g. alice.smith).",
    )
    is_extension = forms.BooleanField(label="This is an extension", required=False)
    extension = forms.CharField(max_length=16, required=False, help_text="The digits callers dial, e.g. 201.")
    extension_type = forms.ChoiceField(label="Extension rings", choices=ExtensionType.choices, required=False)
    extension_spoken_name = forms.CharField(label="Name", max_length=200, required=False)
    extension_client_password = forms.CharField(
        label="SIP client password", required=False, widget=forms.PasswordInput, max_length=128,
        help_text="For a SIP client extension: the password its phone registers with.",
    )  # fmt: skip

    def __init__(self, *args, actor, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].choices = enterprise_choices(actor)
        if editing:
            for name in ("enterprise", "number", "is_extension"):
                self.fields[name].disabled = True


class NumberList(ConsoleListView):
    roles = phone_numbers.PERMISSIONS.create  # the number pages are the provisioning CSP's
    model = PhoneNumber
    template_name = "console/numbers/list.html"
    search_fields = ("number", "extension", "extension_spoken_name", "friendly_name")
    sort_fields = {"number": "number", "extension": "extension", "enterprise": Lower("enterprise__name")}
    default_sort = "number"

    def get_queryset(self):
        queryset = super().get_queryset().select_related("enterprise", "aa_system")
        kind = self.request.GET.get("kind")
        if kind in ("aa", "extension"):
            queryset = queryset.filter(is_extension=kind == "extension")
        if self.request.GET.get("enterprise"):
            queryset = queryset.filter(enterprise__sid=self.request.GET["enterprise"])
        return queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            enterprises=enterprise_choices(self.request.user),
            enterprise=self.request.GET.get("enterprise", ""),
            kind=self.request.GET.get("kind", ""),
            imports=NumberImport.objects.visible_to(self.request.user).select_related("enterprise")[:5],
        )
        # Each client extension's registration state: one query for the page.
        context["object_list"] = with_registrations(context["object_list"])
        return context


class NumberCreate(ConsoleMixin, View):
    roles = phone_numbers.PERMISSIONS.create
    template_name = "console/numbers/form.html"

    def get(self, request):
        form = NumberForm(actor=request.user, initial={"enterprise": request.GET.get("enterprise")})
        return render(request, self.template_name, {"form": form})

    def post(self, request):
        form = NumberForm(request.POST, actor=request.user)
        if form.is_valid():
            data = form.cleaned_data
            created = call_service(
                form, phone_numbers.create_phone_number, request.user,
                enterprise_sid=data["enterprise"], number=data["number"], is_extension=data["is_extension"],
                extension=data["extension"], extension_type=data["extension_type"] or ExtensionType.NUMBER,
                extension_spoken_name=data["extension_spoken_name"],
                extension_client_password=data["extension_client_password"] or None,
                fields=FIELDS, names=NAMES,
            )  # fmt: skip
            if created is not None:
                messages.success(request, f"{created.number} created.")
                return redirect("console:numbers")
        return render(request, self.template_name, {"form": form}, status=400)


class NumberEdit(ConsoleMixin, View):
    roles = phone_numbers.PERMISSIONS.create
    template_name = "console/numbers/form.html"

    def initial(self, number: PhoneNumber) -> dict:
        return {
            "enterprise": number.enterprise.sid,
            "number": number.number,
            "is_extension": number.is_extension,
            "extension": number.extension,
            "extension_type": number.extension_type,
            "extension_spoken_name": number.extension_spoken_name or number.friendly_name,
        }

    def context(self, form: NumberForm, number: PhoneNumber) -> dict:
        (number,) = with_registrations([number])  # its phones, for a SIP client extension
        return {"form": form, "phone_number": number}

    def get(self, request, sid):
        number = fetch(access_phone_number, request.user, sid)
        form = NumberForm(actor=request.user, editing=True, initial=self.initial(number))
        return render(request, self.template_name, self.context(form, number))

    def post(self, request, sid):
        number = fetch(access_phone_number, request.user, sid)
        form = NumberForm(request.POST, actor=request.user, editing=True, initial=self.initial(number))
        if form.is_valid():
            data = form.cleaned_data
            name_field = "extension_spoken_name" if number.is_extension else "friendly_name"
            changes = {name_field: data["extension_spoken_name"]}
            if number.is_extension:
                changes.update(
                    extension=data["extension"], extension_type=data["extension_type"] or number.extension_type
                )
            updated = call_service(
                form, phone_numbers.update_phone_number, request.user, sid,
                extension_client_password=data["extension_client_password"] or None, **changes,
                fields=FIELDS, names=NAMES,
            )  # fmt: skip
            if updated is not None:
                messages.success(request, f"{updated.number} saved.")
                return redirect("console:numbers")
        return render(request, self.template_name, self.context(form, number), status=400)


class NumberDelete(ConsoleMixin, View):
    roles = phone_numbers.PERMISSIONS.delete

    def post(self, request, sid):
        fetch(access_phone_number, request.user, sid)
        try:
            number = phone_numbers.delete_phone_number(request.user, sid)
        except AAError as exc:
            refused(request, "Not deleted", exc)
            return redirect("console:number", sid)
        messages.success(request, f"{number.number} deleted.")
        return redirect("console:numbers")


class ImportForm(forms.Form):
    enterprise = forms.ChoiceField(help_text="The numbers and extensions are created in this enterprise.")
    file = forms.FileField(
        label="CSV file",
        help_text="Columns: number, extension, type, name, clientPassword — a header line first; "
        f"at most {number_imports.MAX_ROWS} rows.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].choices = enterprise_choices(actor)


class ImportStart(ConsoleMixin, View):
    roles = phone_numbers.PERMISSIONS.create
    template_name = "console/numbers/import.html"

    def get(self, request):
        if request.GET.get("sample"):
            response = HttpResponse(number_imports.SAMPLE, content_type="text/csv")
            response["Content-Disposition"] = 'attachment; filename="numbers-sample.csv"'
            return response
        form = ImportForm(actor=request.user, initial={"enterprise": request.GET.get("enterprise")})
        return render(request, self.template_name, {"form": form, "sample": number_imports.SAMPLE})

    def post(self, request):
        form = ImportForm(request.POST, request.FILES, actor=request.user)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            job = call_service(
                form, number_imports.start_import, request.user, enterprise_sid=form.cleaned_data["enterprise"],
                data=upload, file_name=upload.name, fields=FIELDS, names=NAMES,
            )  # fmt: skip
            if job is not None:
                return redirect("console:number_import_status", job.pk)
        context = {"form": form, "sample": number_imports.SAMPLE}
        return render(request, self.template_name, context, status=400)


class ImportStatus(ConsoleMixin, View):
    """The import's progress; while it runs, the page asks again every second (htmx)."""

    roles = phone_numbers.PERMISSIONS.create

    def get(self, request, pk):
        job = get_object_or_404(NumberImport.objects.visible_to(request.user).select_related("enterprise"), pk=pk)
        return render(request, "console/numbers/import_status.html", {"job": job})


urlpatterns = [
    path("numbers/", NumberList.as_view(), name="numbers"),
    path("numbers/new/", NumberCreate.as_view(), name="number_create"),
    path("numbers/import/", ImportStart.as_view(), name="number_import"),
    path("numbers/import/<int:pk>/", ImportStatus.as_view(), name="number_import_status"),
    path("numbers/<str:sid>/", NumberEdit.as_view(), name="number"),
    path("numbers/<str:sid>/delete/", NumberDelete.as_view(), name="number_delete"),
]
