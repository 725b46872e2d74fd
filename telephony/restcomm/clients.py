"""The Restcomm API's clients resources."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
