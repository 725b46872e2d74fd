"""Signing in and out with email and password, and changing one's password.

Failed sign-ins are counted and audited by autoattendant.services.sign_in_guard, asked before the
password is checked: after LOGIN_FAILURE_LIMIT failures for one user (from anywhere), or
SIGN_IN_SOURCE_LIMIT from one address (on any door), sign-in is refused for LOGIN_COOLOFF_MINUTES.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse_lazy
from django.views import View

from autoattendant.services import audit, sign_in_guard, users
from autoattendant.services.sign_in_guard import Door
from portal.console.base import ConsoleMixin

REASONS = {"invalid_login": "wrong email or password", "inactive": "user is not active"}


def locked_out(request: HttpRequest, seconds: int) -> HttpResponse:
    """The page of a refused sign-in (429), with when to try again."""
    context = {"minutes": max(1, round(seconds / 60))}
    response = render(request, "console/auth/locked_out.html", context, status=429)
    response["Retry-After"] = str(seconds)
    return response


class SignInForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "username"})
    )
    error_messages = {
        "invalid_login": "That email and password do not match an active user.",
        "inactive": "This user is not active.",
    }


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "console/auth/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        email = request.POST.get("username", "")
        source = sign_in_guard.source_address(request.META)
        self.attempt = sign_in_guard.attempt_at(Door.CONSOLE, source, email, sign_in_guard.named_user(email))
        seconds = sign_in_guard.wait(self.attempt)
        if seconds:
            return locked_out(request, seconds)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        codes = [error.code for error in form.non_field_errors().as_data()]
        reason = REASONS.get(codes[0] if codes else "", "malformed sign-in form")
        seconds = sign_in_guard.failed(self.attempt, reason)
        if seconds:
            return locked_out(self.request, seconds)
        return super().form_invalid(form)

    def form_valid(self, form):
        response = super().form_valid(form)
        sign_in_guard.succeeded(self.attempt)
        audit.signed_in(form.get_user(), via="password")
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    """The old password is checked here too: its failures count as the user's failed sign-ins, so a
    session left open is no way to guess it."""

    template_name = "console/auth/password_change.html"
    success_url = reverse_lazy("console:dashboard")

    def post(self, request, *args, **kwargs):
        source = sign_in_guard.source_address(request.META)
        self.attempt = sign_in_guard.attempt_at(Door.CONSOLE, source, request.user.email_id, request.user)
        seconds = sign_in_guard.wait(self.attempt)
        if seconds:
            return locked_out(request, seconds)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        if "old_password" in form.errors:
            seconds = sign_in_guard.failed(self.attempt, "wrong old password at password change")
            if seconds:
                return locked_out(self.request, seconds)
        return super().form_invalid(form)

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, "Your password has been changed.")
        return response


class ApiTokenView(ConsoleMixin, View):
    """Every user's own API auth token (HTTP Basic takes `userSid`/`emailId` and the token, never the
    password): a new one is shown once, on the page that made it."""

    template_name = "console/auth/api_token.html"

    def page(self, request, token: str | None = None) -> HttpResponse:
        context = {"token": token, "has_token": bool(request.user.auth_token_hash)}
        response = render(request, self.template_name, context)
        response["Cache-Control"] = "no-store"
        return response

    def get(self, request):
        return self.page(request)

    def post(self, request):
        token = users.issue_own_auth_token(request.user)
        messages.success(request, "New API token issued: the previous one no longer works.")
        return self.page(request, token)


urlpatterns = [
    path("login/", SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", PasswordChangeView.as_view(), name="password_change"),
    path("token/", ApiTokenView.as_view(), name="api_token"),
]
