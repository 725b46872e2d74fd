from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from autoattendant.api import enterprises, hmac_keys, phone_numbers, schedules, systems, users
from autoattendant.api.announcements import AnnouncementViewSet
from autoattendant.api.calls import CallRecordViewSet
from autoattendant.api.menus import MenuViewSet
from autoattendant.api.registrations import RegistrationViewSet
from autoattendant.api.simulate import SimulateViewSet
from autoattendant.api.voicemail import VoicemailMessageViewSet

urlpatterns = [
    path("autoattendant/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("autoattendant/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("autoattendant/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    *enterprises.EnterpriseViewSet.routes("enterprise"),
    *users.UserViewSet.routes("user"),
    # Before the phone number's item routes: `phonenumber/registration` and `phonenumber/{sid}/registration`.
    *RegistrationViewSet.routes(),
    *phone_numbers.PhoneNumberViewSet.routes("phonenumber", aliases=("phoneNumber",)),
    # Before the system's item routes: `system/{sid}/activeMenu` and `system/{sid}/timeline`.
    *schedules.SystemScheduleViewSet.routes(),
    *SimulateViewSet.routes(),  # `system/{sid}/simulate`, also before the system's item routes
    *systems.AutoAttendantSystemViewSet.routes("system"),
    *schedules.ScheduleViewSet.routes("schedule"),
    *hmac_keys.HmacKeyViewSet.routes("hmac"),
    # Its `{sid}/audio.wav` route comes first, before the generic item routes.
    *AnnouncementViewSet.routes("announcement"),
    *MenuViewSet.routes("menu"),
    *VoicemailMessageViewSet.routes("voicemail"),  # its `{sid}/audio.wav` first, too
    *CallRecordViewSet.routes("call"),
]
