"""The Restcomm API's gateways resources."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
