"""HMAC keys: one per organisation, created or rotated by its CSP admins."""

from __future__ import annotations

from django.db import transaction

from autoattendant.choices import AuditAction
from autoattendant.models import HmacKey, Organisation
from autoattendant.services import audit
from autoattendant.services.access import access_hmac_key
from autoattendant.services.roles import CSP_ADMINS, Permissions

# HMAC keys are the CSP's alone, to read as well.
PERMISSIONS = Permissions(read=CSP_ADMINS, create=CSP_ADMINS, update=CSP_ADMINS, delete=CSP_ADMINS)


@transaction.atomic
def create_or_rotate_hmac_key(actor) -> tuple[HmacKey, bool]:
    """Create the organisation's key, or give the existing one a new secret. Returns (key, created)."""
    PERMISSIONS.require(actor, "create")
    # Lock the organisation so two concurrent requests cannot both create a key.
    Organisation.objects.select_for_update().get(pk=actor.organisation_id)
    key = HmacKey.objects.filter(organisation_id=actor.organisation_id).order_by("date_created", "id").first()
    if key is None:
        key = HmacKey.objects.create(
            organisation_id=actor.organisation_id, key=HmacKey.new_secret(), account_email=actor.email_id
        )
        audit.record(actor, AuditAction.CREATE, key)
        return key, True
    before = audit.snapshot(key)
    key.key = HmacKey.new_secret()
    key.account_email = actor.email_id
    key.save()
    audit.record(actor, AuditAction.UPDATE, key, before=before)
    return key, False


@transaction.atomic
def delete_hmac_key(actor, sid: str) -> HmacKey:
    PERMISSIONS.require(actor, "delete")
    key = access_hmac_key(actor, sid, for_update=True)
    audit.record(actor, AuditAction.DELETE, key)
    key.delete()
    return key
