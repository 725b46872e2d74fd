"""Users: CSP admins manage their organisation's users, enterprise admins their enterprise's."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db.models.functions import Lower
from django.shortcuts import redirect, render
from django.urls import path
from django.views import View

from autoattendant.choices import Role, UserStatus
from autoattendant.errors import AAError, Code
from autoattendant.models import AutoAttendantSystem, Enterprise, User
from autoattendant.services import users
from autoattendant.services.access import access_user
from portal.console.base import ConsoleListView, ConsoleMixin, call_service, fetch, refused

FIELDS = {
    Code.USER_NOT_UNIQUE: "email_id",
    Code.ROLE_NOT_ALLOWED: "role",
    Code.ENTERPRISE_REQUIRED: "enterprise",
    Code.ENTERPRISE_NOT_FOUND: "enterprise",
    Code.SYSTEM_NOT_FOUND: "aa_systems",
    Code.USER_IS_ENTERPRISE_ADMIN: "role",
}
NAMES = {"enterpriseSid": "enterprise", "autoAttendantSids": "aa_systems", "emailId": "email_id", "role": "role"}


class UserForm(forms.Form):
    email_id = forms.EmailField(label="Email")
    name = forms.CharField(max_length=200, required=False)
    password = forms.CharField(widget=forms.PasswordInput(render_value=False), strip=False)
    role = forms.ChoiceField(choices=Role.choices)
    enterprise = forms.ChoiceField(required=False, help_text="Enterprise and AA admins belong to one enterprise.")
    aa_systems = forms.MultipleChoiceField(
        label="AA systems", required=False, help_text="The AA systems an AA admin manages (it sees only these)."
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        if actor.role == Role.CSP_ADMIN:
            enterprises = Enterprise.objects.visible_to(actor).order_by("name", "id")
            self.fields["enterprise"].choices = [("", "—")] + [(e.sid, e.name) for e in enterprises]
        else:
            del self.fields["enterprise"]
            self.fields["role"].choices = [(r.value, r.label) for r in (Role.BG_ADMIN, Role.AA_ADMIN)]
        systems = AutoAttendantSystem.objects.visible_to(actor).select_related("enterprise").order_by("name", "id")
        self.fields["aa_systems"].choices = [(s.sid, f"{s.name} ({s.enterprise.name})") for s in systems]
        self.fields["aa_systems"].widget.attrs["size"] = min(8, max(3, len(self.fields["aa_systems"].choices)))

    def service_args(self) -> dict:
        data = self.cleaned_data
        args = {"email_id": data["email_id"], "name": data["name"], "role": data["role"]}
        if "enterprise" in self.fields:
            args["enterprise_sid"] = data["enterprise"] or None
        args["aa_system_sids"] = data["aa_systems"] if data["role"] == Role.AA_ADMIN else []
        return args


class UserEditForm(UserForm):
    password = forms.CharField(
        label="New password",
        required=False,
        widget=forms.PasswordInput(render_value=False),
        strip=False,
        help_text="Leave empty to keep the current password.",
    )
    status = forms.ChoiceField(choices=UserStatus.choices)


class UserList(ConsoleListView):
    roles = users.PERMISSIONS.create  # who manages users; which roles is the service's rule
    model = User
    template_name = "console/users/list.html"
    search_fields = ("email_id", "name")
    sort_fields = {"email": Lower("email_id"), "name": Lower("name"), "role": "role", "created": "date_created"}
    default_sort = "email"

    def get_queryset(self):
        queryset = super().get_queryset().select_related("enterprise")
        role = self.request.GET.get("role")
        return queryset.filter(role=role) if role in Role.values else queryset

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs, roles=Role.choices, role=self.request.GET.get("role", ""))


class UserCreate(ConsoleMixin, View):
    roles = users.PERMISSIONS.create
    template_name = "console/users/form.html"

    def get(self, request):
        initial = {"role": Role.AA_ADMIN if request.user.role == Role.BG_ADMIN else Role.BG_ADMIN}
        return render(request, self.template_name, {"form": UserForm(actor=request.user, initial=initial)})

    def post(self, request):
        form = UserForm(request.POST, actor=request.user)
        if form.is_valid():
            args = form.service_args()
            user = call_service(
                form, users.create_user, request.user, password=form.cleaned_data["password"], **args,
                fields=FIELDS, names=NAMES,
            )  # fmt: skip
            if user is not None:
                messages.success(request, f"User {user.email_id} created.")
                return redirect("console:users")
        return render(request, self.template_name, {"form": form}, status=400)


class UserEdit(ConsoleMixin, View):
    roles = users.PERMISSIONS.create
    template_name = "console/users/form.html"

    def get(self, request, sid):
        user = fetch(access_user, request.user, sid)
        initial = {
            "email_id": user.email_id,
            "name": user.name,
            "role": user.role,
            "status": user.status,
            "enterprise": user.enterprise.sid if user.enterprise_id else "",
            "aa_systems": list(user.aa_systems.values_list("sid", flat=True)),
        }
        form = UserEditForm(actor=request.user, initial=initial)
        return render(request, self.template_name, {"form": form, "subject": user})

    def post(self, request, sid):
        subject = fetch(access_user, request.user, sid)
        form = UserEditForm(request.POST, actor=request.user)
        if form.is_valid():
            args = form.service_args()
            args["status"] = form.cleaned_data["status"]
            if form.cleaned_data["password"]:
                args["password"] = form.cleaned_data["password"]
            user = call_service(form, users.update_user, request.user, sid, **args, fields=FIELDS, names=NAMES)
            if user is not None:
                messages.success(request, f"User {user.email_id} saved.")
                return redirect("console:users")
        return render(request, self.template_name, {"form": form, "subject": subject}, status=400)


class UserDelete(ConsoleMixin, View):
    roles = users.PERMISSIONS.create

    def post(self, request, sid):
        fetch(access_user, request.user, sid)
        try:
            user = users.delete_user(request.user, sid)
        except AAError as exc:
            refused(request, "Not deleted", exc)
            return redirect("console:user", sid)
        messages.success(request, f"User {user.email_id} deleted.")
        return redirect("console:users")


urlpatterns = [
    path("users/", UserList.as_view(), name="users"),
    path("users/new/", UserCreate.as_view(), name="user_create"),
    path("users/<str:sid>/", UserEdit.as_view(), name="user"),
    path("users/<str:sid>/delete/", UserDelete.as_view(), name="user_delete"),
]
