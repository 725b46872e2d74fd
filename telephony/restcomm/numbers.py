"""The Restcomm API's numbers resources."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
