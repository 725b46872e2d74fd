"""The base every API resource shares: a prefixed SID, timestamps and the writer's email."""

from __future__ import annotations

from typing import ClassVar

from django.db import models

from autoattendant.choices import Role
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

    def __str__(self) -> str:
        return getattr(self, "name", None) or self.sid

    def save(self, *args, **kwargs) -> None:
        if not self.sid:
            self.sid = new_sid(self.SID_PREFIX)
        super().save(*args, **kwargs)


class TenantQuerySet(models.QuerySet):
    """Restriction at the queryset (NetBox's RestrictedQuerySet): applied before any filter.

    A CSP admin sees its organisation's rows, an enterprise admin its enterprise's, an AA admin what
    `for_aa_admin` allows. A model names the lookups that lead to its organisation and enterprise.
    """

    organisation_lookup: str = "organisation_id"
    enterprise_lookup: str = "enterprise_id"
    csp_admins_only: bool = False

    def visible_to(self, user) -> TenantQuerySet:
        if user is None or not user.is_authenticated:
            return self.none()
        if user.role == Role.CSP_ADMIN:
            return self.filter(**{self.organisation_lookup: user.organisation_id})
        if self.csp_admins_only:
            return self.none()
        if user.role == Role.BG_ADMIN:
            return self.filter(**{self.enterprise_lookup: user.enterprise_id})
        return self.for_aa_admin(user)

    def for_aa_admin(self, user) -> TenantQuerySet:
        return self.filter(**{self.enterprise_lookup: user.enterprise_id})
