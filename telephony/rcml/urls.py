from django.urls import path

from telephony.rcml import executor_views, views

prefix = "rcml/<str:aa_sid>/<int:version>"

urlpatterns = [
    path("rcml/voice", views.voice, name="rcml-voice"),
    # The executor's JSON and audio endpoints (telephony.rcml.executor_views).
    path("rcml/speech", executor_views.speech, name="rcml-speech"),
    path("rcml/recording", executor_views.recording_upload, name="rcml-recording-upload"),
    path("rcml/recording/<str:sid>.wav", executor_views.recording, name="rcml-recording"),
    path("rcml/call", executor_views.call_record, name="rcml-call"),
    path("rcml/executor", executor_views.executor_heartbeat, name="rcml-executor"),
    path("rcml/notification", executor_views.notification_post, name="rcml-notification"),
    path(f"{prefix}/menu/<str:menu_sid>", views.menu, name="rcml-menu"),
    path(f"{prefix}/input/<str:menu_sid>", views.menu_input, name="rcml-input"),
    path(f"{prefix}/extension", views.extension, name="rcml-extension"),
    path(f"{prefix}/extension-input", views.extension_input, name="rcml-extension-input"),
    path(f"{prefix}/directory", views.directory, name="rcml-directory"),
    path(f"{prefix}/directory-input", views.directory_input, name="rcml-directory-input"),
    path(f"{prefix}/directory-choice", views.directory_choice, name="rcml-directory-choice"),
    path(f"{prefix}/dial-done", views.dial_done, name="rcml-dial-done"),
    path(f"{prefix}/voicemail", views.voicemail, name="rcml-voicemail"),
    path(f"{prefix}/voicemail-done", views.voicemail_done, name="rcml-voicemail-done"),
]
