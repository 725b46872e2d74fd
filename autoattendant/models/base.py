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

    A CSP admin sees its organisation's rows, an enterprise admin its enterprise's, an AA admin the
    rows of the AA systems assigned to it. A model names the lookups that lead to its organisation,
    its enterprise and its AA system. AA admins fail closed: a model with no AA system lookup shows
    them nothing unless it declares its own `for_aa_admin`; any other role sees nothing at all.
    """

    organisation_lookup: str = "organisation_id"
    enterprise_lookup: str = "enterprise_id"
    aa_system_lookup: str = ""
    csp_admins_only: bool = False

    def visible_to(self, user) -> TenantQuerySet:
        role = getattr(user, "role", None)
        if user is None or not user.is_authenticated:
            return self.none()
        if role == Role.CSP_ADMIN:
            return self.for_csp_admin(user)
        if self.csp_admins_only:
            return self.none()
        if role == Role.BG_ADMIN:
            return self.for_enterprise_admin(user)
        if role == Role.AA_ADMIN:
            return self.for_aa_admin(user)
        return self.none()

    def for_csp_admin(self, user) -> TenantQuerySet:
        return self.filter(**{self.organisation_lookup: user.organisation_id})

    def for_enterprise_admin(self, user) -> TenantQuerySet:
        return self.filter(**{self.enterprise_lookup: user.enterprise_id})

    def for_aa_admin(self, user) -> TenantQuerySet:
        if not self.aa_system_lookup:
            return self.none()
        return self.filter(**{self.enterprise_lookup: user.enterprise_id, f"{self.aa_system_lookup}__aa_admins": user})
