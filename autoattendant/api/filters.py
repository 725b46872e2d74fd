"""Filters every resource shares: one base for every list (created between startTime and endTime),
the reference's time and boolean formats. Each resource's own filterset is in its module."""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field


class ReferenceTimeField(forms.Field):
    """`YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS[±hhmm]`, UTC unless an offset is given."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).strip().replace(" ", "+")
        try:
            if len(text) == 10:
                return datetime.date.fromisoformat(text)
            parsed = datetime.datetime.fromisoformat(text)
        except ValueError:
            raise forms.ValidationError(
                "Use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS, for example 2018-10-05T22:45:32."
            ) from None
        if timezone.is_naive(parsed):
            parsed = parsed.replace(tzinfo=datetime.UTC)
        try:
            return parsed.astimezone(datetime.UTC)  # an offset can push it past year 1 or 9999
        except OverflowError:
            raise forms.ValidationError("The date/time is out of range.") from None


class StrictBooleanField(forms.Field):
    """true/false (or 1/0); anything else is a 400, not a silently ignored filter."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise forms.ValidationError("Use true or false.")


@extend_schema_field({"type": "boolean"})
class StrictBooleanFilter(django_filters.Filter):
    field_class = StrictBooleanField


@extend_schema_field(
    {
        "type": "string",
        "example": "2018-10-05T22:45:32",
        "description": "A date (YYYY-MM-DD) or a date-time (YYYY-MM-DDTHH:MM:SS), UTC, inclusive.",
    }
)
class ReferenceTimeFilter(django_filters.Filter):
    field_class = ReferenceTimeField

    def __init__(self, *args, end: bool = False, **kwargs):
        self.end = end
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value is None:
            return qs
        if isinstance(value, datetime.datetime):
            return qs.filter(**{f"{self.field_name}__{'lte' if self.end else 'gte'}": value})
        midnight = datetime.datetime.combine(value, datetime.time(), tzinfo=datetime.UTC)
        if self.end:
            if value == datetime.date.max:
                return qs  # nothing is created after the last day there is (and the day after overflows)
            # A date alone is inclusive: everything created on that day.
            return qs.filter(**{f"{self.field_name}__lt": midnight + datetime.timedelta(days=1)})
        return qs.filter(**{f"{self.field_name}__gte": midnight})


class ResourceFilterSet(django_filters.FilterSet):
    """Every list's filters start from here: created between startTime and endTime."""

    def get_form_class(self):
        # django-filter builds a new form class per request; ours never vary, so build each once.
        cls = type(self)
        form_class = cls.__dict__.get("_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            cls._form_class = form_class
        return form_class

    startTime = ReferenceTimeFilter(field_name="date_created")
    endTime = ReferenceTimeFilter(field_name="date_created", end=True)
