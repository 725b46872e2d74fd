"""Enterprises, for CSP admins: the business customers, each created with its enterprise admin."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db.models import Count
from django.db.models.functions import Lower
from django.shortcuts import redirect, render
from django.urls import path
from django.views import View

from autoattendant.errors import AAError, Code
from autoattendant.models import Enterprise
from autoattendant.services import enterprises
from autoattendant.services.access import access_enterprise
from portal.console.base import ConsoleListView, ConsoleMixin, call_service, fetch, refused

FIELDS = {Code.ENTERPRISE_NAME_NOT_UNIQUE: "name", Code.USER_NOT_UNIQUE: "admin_email"}
# The service names the fields as the API does; its `enterpriseAdmin` errors are about the password.
NAMES = {"name": "name", "extFromPhoneNumber": "ext_from_phone_number", "enterpriseAdmin": "admin_password"}


class EnterpriseForm(forms.Form):
    name = forms.CharField(max_length=200)
    ext_from_phone_number = forms.CharField(
        label="Caller ID for transfers",
        max_length=32,
        required=False,
        help_text="The number callers' transfers show to the extension (E.164, e.g. +14155550100). Optional.",
    )
    admin_email = forms.EmailField(label="Admin email")
    admin_name = forms.CharField(label="Admin name", max_length=200, required=False)
    admin_password = forms.CharField(
        label="Admin password", widget=forms.PasswordInput(render_value=False), strip=False
    )

    def admin(self) -> dict:
        data = self.cleaned_data
        admin = {"email_id": data["admin_email"], "name": data["admin_name"]}
        if data.get("admin_password"):
            admin["password"] = data["admin_password"]
        return admin


class EnterpriseEditForm(EnterpriseForm):
    admin_password = forms.CharField(
        label="New admin password",
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Leave empty to keep the current password.",
        strip=False,
    )


class EnterpriseList(ConsoleListView):
    roles = enterprises.PERMISSIONS.create  # the enterprise pages are for those who create them
    model = Enterprise
    template_name = "console/enterprises/list.html"
    search_fields = ("name", "admin__email_id")
    sort_fields = {"name": Lower("name"), "created": "date_created"}
    default_sort = "name"

    def scoped_queryset(self):
        return (
            super()
            .scoped_queryset()
            .select_related("admin")
            .annotate(
                system_count=Count("aa_systems", distinct=True), number_count=Count("phone_numbers", distinct=True)
            )
        )


class EnterpriseCreate(ConsoleMixin, View):
    roles = enterprises.PERMISSIONS.create
    template_name = "console/enterprises/form.html"

    def get(self, request):
        return render(request, self.template_name, {"form": EnterpriseForm(), "creating": True})

    def post(self, request):
        form = EnterpriseForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            enterprise = call_service(
                form,
                enterprises.create_enterprise,
                request.user,
                name=data["name"],
                ext_from_phone_number=data["ext_from_phone_number"],
                admin=form.admin(),
                fields=FIELDS,
                names=NAMES,
            )
            if enterprise is not None:
                messages.success(
                    request, f"Enterprise {enterprise.name} created, with its admin {data['admin_email']}."
                )
                return redirect("console:enterprise", enterprise.sid)
        return render(request, self.template_name, {"form": form, "creating": True}, status=400)


class EnterpriseDetail(ConsoleMixin, View):
    roles = enterprises.PERMISSIONS.update
    template_name = "console/enterprises/form.html"

    def context(self, enterprise, form):
        return {
            "enterprise": enterprise,
            "form": form,
            "systems": enterprise.aa_systems.order_by("name", "id"),
            "number_count": enterprise.phone_numbers.count(),
        }

    def get(self, request, sid):
        enterprise = fetch(access_enterprise, request.user, sid)
        admin = enterprise.admin
        initial = {
            "name": enterprise.name,
            "ext_from_phone_number": enterprise.ext_from_phone_number,
            "admin_email": admin.email_id if admin else "",
            "admin_name": admin.name if admin else "",
        }
        return render(request, self.template_name, self.context(enterprise, EnterpriseEditForm(initial=initial)))

    def post(self, request, sid):
        enterprise = fetch(access_enterprise, request.user, sid)
        form = EnterpriseEditForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            updated = call_service(
                form,
                enterprises.update_enterprise,
                request.user,
                sid,
                name=data["name"],
                ext_from_phone_number=data["ext_from_phone_number"],
                admin=form.admin(),
                fields=FIELDS,
                names=NAMES,
            )
            if updated is not None:
                messages.success(request, f"Enterprise {updated.name} saved.")
                return redirect("console:enterprise", sid)
        return render(request, self.template_name, self.context(enterprise, form), status=400)


class EnterpriseDelete(ConsoleMixin, View):
    roles = enterprises.PERMISSIONS.delete

    def post(self, request, sid):
        fetch(access_enterprise, request.user, sid)
        try:
            enterprise = enterprises.delete_enterprise(request.user, sid)
        except AAError as exc:
            refused(request, "Not deleted", exc, "Delete its AA systems first.")
            return redirect("console:enterprise", sid)
        messages.success(request, f"Enterprise {enterprise.name} deleted, with its users and numbers.")
        return redirect("console:enterprises")


urlpatterns = [
    path("enterprises/", EnterpriseList.as_view(), name="enterprises"),
    path("enterprises/new/", EnterpriseCreate.as_view(), name="enterprise_create"),
    path("enterprises/<str:sid>/", EnterpriseDetail.as_view(), name="enterprise"),
    path("enterprises/<str:sid>/delete/", EnterpriseDelete.as_view(), name="enterprise_delete"),
]
