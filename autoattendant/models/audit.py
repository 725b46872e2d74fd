from __future__ import annotations

from django.db import models

from autoattendant.choices import AuditAction
from autoattendant.models.base import TenantQuerySet


class AuditEntryQuerySet(TenantQuerySet):
    def for_aa_admin(self, user) -> AuditEntryQuerySet:
        """The AA admin's own changes: an entry names no AA system, and the enterprise's other systems
        are not the AA admin's to see."""
        return self.filter(enterprise_id=user.enterprise_id, actor=user)


class AuditEntry(models.Model):
    """Who changed what, when, with the data before and after (NetBox's ObjectChange)."""

    time = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey("autoattendant.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_email = models.CharField(max_length=254, blank=True)
    organisation = models.ForeignKey(
        "autoattendant.Organisation", null=True, on_delete=models.CASCADE, related_name="+"
    )
    enterprise_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    action = models.CharField(max_length=8, choices=AuditAction.choices)
    object_type = models.CharField(max_length=64)
    object_sid = models.CharField(max_length=40, db_index=True)
    object_repr = models.CharField(max_length=200, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-time", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.actor_email} {self.action} {self.object_type} {self.object_sid}"
