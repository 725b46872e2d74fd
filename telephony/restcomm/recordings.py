"""The Restcomm API's recordings resources."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
