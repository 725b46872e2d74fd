"""The first page after sign-in: what there is, what callers did today, and what changed lately."""

from __future__ import annotations

import datetime

from django.db.models import Count, Q
from django.urls import path
from django.utils import timezone
from django.views.generic import TemplateView

from autoattendant.choices import Role
from autoattendant.models import AuditEntry, AutoAttendantSystem, CallRecord, Enterprise, PhoneNumber
from portal.console.base import ConsoleMixin


class DashboardView(ConsoleMixin, TemplateView):
    template_name = "console/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        midnight = timezone.now().astimezone(datetime.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        systems = AutoAttendantSystem.objects.visible_to(user).select_related("enterprise", "default_menu")
        context["systems"] = systems.order_by("name", "id")[:20]
        context["calls_today"] = CallRecord.objects.visible_to(user).filter(start_time__gte=midnight).count()
        if user.role == Role.CSP_ADMIN:
            numbers = PhoneNumber.objects.visible_to(user).aggregate(
                aa_numbers=Count("id", filter=Q(is_extension=False)),
                extensions=Count("id", filter=Q(is_extension=True)),
            )
            context["counts"] = {
                "enterprises": Enterprise.objects.visible_to(user).count(),
                "systems": systems.count(),
                **numbers,
            }
        context["changes"] = AuditEntry.objects.visible_to(user).order_by("-time", "-id")[:10]
        return context


urlpatterns = [path("", DashboardView.as_view(), name="dashboard")]
