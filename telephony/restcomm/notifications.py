"""The Restcomm API's notifications resources."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
