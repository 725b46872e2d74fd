"""The base every API resource shares: a prefixed SID, timestamps and the writer's email."""

from __future__ import annotations

from typing import ClassVar

from django.db import models

from autoattendant.sids import new_sid


class SidModel(models.Model):
    SID_PREFIX: ClassVar[str] = ""

    sid = models.CharField(max_length=40, unique=True, editable=False)
    date_created = models.DateTimeField(auto_now_add=True, db_index=True)
    date_updated = models.DateTimeField(auto_now=True)
    account_email = models.EmailField(
        blank=True, help_text="Email of the account that created or last changed this record."
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if not self.sid:
            self.sid = new_sid(self.SID_PREFIX)
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return getattr(self, "name", None) or self.sid


class TenantQuerySet(models.QuerySet):
    """Restriction at the queryset (NetBox's RestrictedQuerySet): applied before any filter."""

    def visible_to(self, user) -> TenantQuerySet:
        raise NotImplementedError
