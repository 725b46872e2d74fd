"""Announcements: prompts typed as text for speech or uploaded as audio, played in the page.

Rendering runs in the Celery worker; while an announcement is PROCESSING its row asks for itself again
every second (htmx), so the status and then the player appear without reloading the page.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db.models.functions import Lower
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.views import View

from autoattendant.choices import AnnouncementStatus, AnnouncementType, Role, Voice
from autoattendant.errors import AAError, Code
from autoattendant.models import Announcement, Enterprise
from autoattendant.services import announcements
from autoattendant.services.announcements import access_announcement, audio_to_play
from portal.console.base import ConsoleListView, ConsoleMixin, call_service, fetch, refused
from speech.wav_http import serve_wav

EDITORS = announcements.PERMISSIONS.update  # who may change announcements; AA admins listen
FIELDS = {
    Code.ENTERPRISE_REQUIRED: "enterprise",
    Code.ENTERPRISE_NOT_FOUND: "enterprise",
    Code.AUDIO_UNREADABLE: "audio",
    Code.AUDIO_TOO_LONG: "audio",
    Code.AUDIO_TOO_LARGE: "audio",
    Code.ANNOUNCEMENT_IN_USE: "type",
}
NAMES = {"enterpriseSid": "enterprise"}


class AnnouncementForm(forms.Form):
    name = forms.CharField(max_length=200)
    enterprise = forms.ChoiceField(required=False)
    type = forms.ChoiceField(
        label="What callers hear",
        choices=[(AnnouncementType.TTS, "Text, spoken by the computer"), (AnnouncementType.AUDIO, "An audio file")],
        widget=forms.RadioSelect,
        initial=AnnouncementType.TTS,
    )
    text = forms.CharField(
        required=False,
        max_length=announcements.TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="For text: what is said, e.g. “Thank you for calling. For sales, press 1.”",
    )
    language = forms.CharField(
        max_length=16, initial="en", help_text="A speech language code: en, en-us, de, fr, es, …"
    )
    voice = forms.ChoiceField(choices=Voice.choices, initial=Voice.WOMAN)
    audio = forms.FileField(
        label="Audio file",
        required=False,
        allow_empty_file=True,  # an empty file is the service's 527, shown next to this field
        widget=forms.ClearableFileInput(attrs={"accept": "audio/*,.wav,.mp3,.ogg,.flac"}),
        help_text="For audio: WAV, MP3, OGG or FLAC, at most 20 MB and 5 minutes.",
    )

    def __init__(self, *args, actor, announcement: Announcement | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if actor.role != Role.CSP_ADMIN or announcement is not None:
            del self.fields["enterprise"]  # an enterprise admin's own; an announcement stays where it is
        else:
            enterprises = Enterprise.objects.visible_to(actor).order_by("name", "id")
            self.fields["enterprise"].choices = [("", "—")] + [(e.sid, e.name) for e in enterprises]
        if announcement is not None and announcement.type == AnnouncementType.AUDIO:
            self.fields["audio"].help_text = "Leave empty to keep the current audio. " + self.fields["audio"].help_text

    @staticmethod
    def initial_for(announcement: Announcement) -> dict:
        return {
            "name": announcement.name,
            "type": announcement.type,
            "text": announcement.text,
            "language": announcement.language,
            "voice": announcement.voice,
        }

    def service_args(self, *, creating: bool) -> dict:
        data = self.cleaned_data
        args = {"name": data["name"], "announcement_type": data["type"]}
        if "enterprise" in self.fields:
            args["enterprise_sid"] = data["enterprise"] or None
        if data["type"] == AnnouncementType.TTS:
            args.update(text=data["text"], language=data["language"], voice=data["voice"])
        elif data["audio"] is not None or creating:
            args["audio"] = data["audio"]
        return args


class AnnouncementList(ConsoleListView):
    model = Announcement
    template_name = "console/announcements/list.html"
    search_fields = ("name", "text")
    sort_fields = {"name": Lower("name"), "status": "status", "created": "date_created"}
    default_sort = "name"

    def get_queryset(self):
        queryset = super().get_queryset().select_related("enterprise")
        enterprise = self.request.GET.get("enterprise")
        return queryset.filter(enterprise__sid=enterprise) if enterprise else queryset

    def get_context_data(self, **kwargs):
        user = self.request.user
        context = super().get_context_data(**kwargs)
        context["can_edit"] = user.role in EDITORS
        if user.role == Role.CSP_ADMIN:
            context["enterprises"] = (
                Enterprise.objects.visible_to(user).order_by("name", "id").values_list("sid", "name")
            )
            context["enterprise"] = self.request.GET.get("enterprise", "")
        return context


class AnnouncementRow(ConsoleMixin, View):
    """One row of the list, as htmx polls it while the announcement renders."""

    def get(self, request, sid):
        announcement = fetch(access_announcement, request.user, sid)
        context = {"a": announcement, "can_edit": request.user.role in EDITORS}
        return render(request, "console/announcements/row.html", context)


class AnnouncementCreate(ConsoleMixin, View):
    roles = EDITORS
    template_name = "console/announcements/form.html"

    def get(self, request):
        initial = {"enterprise": request.GET.get("enterprise", "")}
        return render(request, self.template_name, {"form": AnnouncementForm(actor=request.user, initial=initial)})

    def post(self, request):
        form = AnnouncementForm(request.POST, request.FILES, actor=request.user)
        if form.is_valid():
            created = call_service(
                form, announcements.create_announcement, request.user, **form.service_args(creating=True),
                fields=FIELDS, names=NAMES,
            )  # fmt: skip
            if created is not None:
                messages.success(request, f"Announcement {created.name} saved; it is being rendered.")
                return redirect("console:announcements")
        return render(request, self.template_name, {"form": form}, status=400)


class AnnouncementEdit(ConsoleMixin, View):
    template_name = "console/announcements/form.html"

    def context(self, request, announcement, form):
        return {
            "form": form,
            "a": announcement,
            "can_edit": request.user.role in EDITORS,
            "used_by": announcements.usages(announcement),
        }

    def get(self, request, sid):
        announcement = fetch(access_announcement, request.user, sid)
        form = AnnouncementForm(
            actor=request.user, announcement=announcement, initial=AnnouncementForm.initial_for(announcement)
        )
        return render(request, self.template_name, self.context(request, announcement, form))

    def post(self, request, sid):
        announcement = fetch(access_announcement, request.user, sid)
        if request.user.role not in EDITORS:
            raise Http404  # an AA admin reads announcements; it does not change them
        form = AnnouncementForm(request.POST, request.FILES, actor=request.user, announcement=announcement)
        if form.is_valid():
            saved = call_service(
                form, announcements.update_announcement, request.user, sid, **form.service_args(creating=False),
                fields=FIELDS, names=NAMES,
            )  # fmt: skip
            if saved is not None:
                rendering = saved.status == AnnouncementStatus.PROCESSING
                messages.success(
                    request, f"Announcement {saved.name} saved{'; it is being rendered' if rendering else ''}."
                )
                return redirect("console:announcements")
        return render(request, self.template_name, self.context(request, announcement, form), status=400)


class AnnouncementDelete(ConsoleMixin, View):
    roles = EDITORS

    def post(self, request, sid):
        announcement = fetch(access_announcement, request.user, sid)
        try:
            announcements.delete_announcement(request.user, sid)
        except AAError as exc:
            refused(request, f"Announcement {announcement.name} not deleted", exc)
            return redirect("console:announcement", sid)
        messages.success(request, f"Announcement {announcement.name} deleted.")
        return redirect("console:announcements")


class AnnouncementAudio(ConsoleMixin, View):
    """The rendered WAV for the page's player: the API's response, scoped to the signed-in user."""

    def get(self, request, sid):
        announcement = fetch(access_announcement, request.user, sid)
        try:
            name = audio_to_play(announcement)
        except AAError:
            raise Http404("Not rendered yet") from None
        response = serve_wav(request, announcement.audio_file.storage, name, filename=f"{sid}.wav")
        if response is None:
            raise Http404("Not rendered yet")
        return response


urlpatterns = [
    path("announcements/", AnnouncementList.as_view(), name="announcements"),
    path("announcements/new/", AnnouncementCreate.as_view(), name="announcement_create"),
    path("announcements/<str:sid>/", AnnouncementEdit.as_view(), name="announcement"),
    path("announcements/<str:sid>/row/", AnnouncementRow.as_view(), name="announcement_row"),
    path("announcements/<str:sid>/delete/", AnnouncementDelete.as_view(), name="announcement_delete"),
    path("announcements/<str:sid>/audio.wav", AnnouncementAudio.as_view(), name="announcement_audio"),
]
