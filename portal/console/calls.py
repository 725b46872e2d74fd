"""Recent calls: who called which system, the menus they walked, the keys they pressed, how it ended."""

from __future__ import annotations

import datetime

from django.http import Http404
from django.urls import path
from django.views import View

from autoattendant import recordings
from autoattendant.choices import CallOutcome
from autoattendant.models import AutoAttendantSystem, CallRecord, Menu, VoicemailMessage
from autoattendant.services.access import access_system, access_voicemail_message
from portal.console.base import ConsoleListView, ConsoleMixin, fetch


class CallList(ConsoleListView):
    model = CallRecord
    template_name = "console/calls/list.html"
    search_fields = ("from_number", "to_number")
    sort_fields = {"time": "start_time"}
    default_sort = "-time"

    def dispatch(self, request, *args, **kwargs):
        self.system = None
        if request.user.is_authenticated and request.GET.get("system"):
            self.system = fetch(access_system, request.user, request.GET["system"])
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        queryset = super().get_queryset()
        params = self.request.GET
        if self.system is not None:
            queryset = queryset.filter(aa_system_sid=self.system.sid)
        if params.get("outcome") in CallOutcome.values:
            queryset = queryset.filter(outcome=params["outcome"])
        try:
            day = datetime.date.fromisoformat(params.get("date", ""))
        except ValueError:
            day = None
        if day is not None:
            start = datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC)
            queryset = queryset.filter(start_time__gte=start, start_time__lt=start + datetime.timedelta(days=1))
        return queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        calls = list(context["object_list"])
        menu_sids = {sid for call in calls for sid in call.menu_path}
        system_sids = {call.aa_system_sid for call in calls}
        menus = dict(Menu.objects.visible_to(self.request.user).filter(sid__in=menu_sids).values_list("sid", "name"))
        systems = dict(AutoAttendantSystem.objects.visible_to(self.request.user).filter(sid__in=system_sids)
                       .values_list("sid", "name"))  # fmt: skip
        voicemails = {
            v.call_sid: v
            for v in VoicemailMessage.objects.visible_to(self.request.user).filter(
                call_sid__in=[c.call_sid for c in calls]
            )
        }
        for call in calls:
            call.menu_names = [menus.get(sid, sid) for sid in call.menu_path]
            call.system_name = systems.get(call.aa_system_sid, call.aa_system_sid or "—")
            call.voicemail = voicemails.get(call.call_sid)
        context.update(
            calls=calls,
            system=self.system,
            tab="calls",
            outcomes=CallOutcome.choices,
            outcome=self.request.GET.get("outcome", ""),
            date=self.request.GET.get("date", ""),
        )
        return context


class VoicemailAudio(ConsoleMixin, View):
    def get(self, request, sid):
        message = fetch(access_voicemail_message, request.user, sid)
        response = recordings.serve(request, message.recording_url, filename=f"{message.sid}.wav")
        if response is None:
            raise Http404("No such recording")
        return response


urlpatterns = [
    path("calls/", CallList.as_view(), name="calls"),
    path("voicemail/<str:sid>/audio.wav", VoicemailAudio.as_view(), name="call_voicemail"),
]
