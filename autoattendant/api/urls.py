from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from autoattendant.api import views

urlpatterns = [
    path("autoattendant/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("autoattendant/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("autoattendant/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    *views.EnterpriseViewSet.routes("enterprise"),
    *views.UserViewSet.routes("user"),
    *views.PhoneNumberViewSet.routes("phonenumber", aliases=("phoneNumber",)),
    *views.AutoAttendantSystemViewSet.routes("system"),
    *views.HmacKeyViewSet.routes("hmac"),
]
