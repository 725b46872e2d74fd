"""Signing in and out with email and password, and changing one's password.

Failed sign-ins are counted by django-axes (settings.AXES_*): after LOGIN_FAILURE_LIMIT failures for
one email from one address, sign-in is refused for LOGIN_COOLOFF_MINUTES.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.urls import path, reverse_lazy

from autoattendant.services import audit


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

    def form_valid(self, form):
        response = super().form_valid(form)
        audit.signed_in(form.get_user(), via="password")
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "console/auth/password_change.html"
    success_url = reverse_lazy("console:dashboard")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, "Your password has been changed.")
        return response


urlpatterns = [
    path("login/", SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", PasswordChangeView.as_view(), name="password_change"),
]
