"""The Restcomm API's calls resources."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
