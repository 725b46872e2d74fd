from __future__ import annotations

from django.db import models

from autoattendant import sids
from autoattendant.choices import ActionType, PublishStatus, SystemStatus
from autoattendant.models.base import SidModel, TenantQuerySet


def default_action() -> dict:
    return {"actionType": ActionType.HANGUP.value}


class AutoAttendantSystemQuerySet(TenantQuerySet):
    organisation_lookup = "enterprise__organisation_id"

    def for_aa_admin(self, user) -> AutoAttendantSystemQuerySet:
        return self.filter(enterprise_id=user.enterprise_id, aa_admins=user)


class AutoAttendantSystem(SidModel):
    """What answers an enterprise's AA numbers: its policies for timeouts and wrong input.

    Actions are stored as the API shows them, `{"actionType": ..., "actionData": ...}`, and are
    validated by `autoattendant.services.actions` wherever they are written.
    """

    SID_PREFIX = sids.AA_SYSTEM

    enterprise = models.ForeignKey("autoattendant.Enterprise", on_delete=models.PROTECT, related_name="aa_systems")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=SystemStatus.choices, default=SystemStatus.ACTIVE)
    timezone_id = models.CharField(max_length=64, default="UTC")
    timeout_seconds = models.PositiveIntegerField(default=5)
    timeout_max_occurance = models.PositiveIntegerField(default=3)
    timeout_action = models.JSONField(default=default_action)
    invalid_extension_max_occurance = models.PositiveIntegerField(default=3)
    invalid_extension_action = models.JSONField(default=default_action)
    invalid_input_max_occurance = models.PositiveIntegerField(default=3)
    invalid_input_action = models.JSONField(default=default_action)
    default_menu = models.ForeignKey(
        "autoattendant.Menu",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The menu that answers when no schedule applies (the non-work-hours menu).",
    )
    operator_extension = models.ForeignKey(
        "autoattendant.PhoneNumber",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Where TRANSFER_TO_OPERATOR goes.",
    )
    # Publishing: every committed change bumps config_version; the compile task publishes it as
    # published_version, or records why it could not (the published version stays as it was).
    config_version = models.PositiveIntegerField(default=1)
    publish_status = models.CharField(max_length=12, choices=PublishStatus.choices, default=PublishStatus.NONE)
    published_version = models.PositiveIntegerField(null=True, blank=True)
    publish_error = models.TextField(blank=True)

    objects = AutoAttendantSystemQuerySet.as_manager()

    class Meta:
        ordering = ["date_created", "id"]
        verbose_name = "auto attendant system"
