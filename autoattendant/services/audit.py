"""The audit trail: one row per create, update and delete, with the data before and after, and one per
sign-in and refused sign-in."""

from __future__ import annotations

import datetime
import decimal
import uuid
from typing import Any

from django.db import models

from autoattendant.choices import AuditAction
from autoattendant.models import AuditEntry

# Never copied into the audit trail.
SECRET_FIELDS = {"password", "auth_token_hash", "key", "last_login"}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    return value


def snapshot(obj: models.Model) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in SECRET_FIELDS:
            continue
        if field.is_relation:
            related = getattr(obj, field.name, None)
            data[field.name] = getattr(related, "sid", None) if related is not None else None
        else:
            data[field.name] = _plain(field.value_from_object(obj))
    return data


def _tenant_of(obj: Any) -> tuple[int | None, int | None]:
    """(organisation id, enterprise id) an object belongs to, for scoping the audit trail."""
    organisation_id = getattr(obj, "organisation_id", None)
    enterprise_id = getattr(obj, "enterprise_id", None)
    if enterprise_id is None and getattr(obj, "aa_system_id", None) is not None:
        # Menus and schedules belong to their AA system's enterprise.
        enterprise_id = obj.aa_system.enterprise_id
        organisation_id = organisation_id or obj.aa_system.enterprise.organisation_id
    if organisation_id is None and enterprise_id is not None:
        organisation_id = obj.enterprise.organisation_id
    if obj._meta.model_name == "enterprise":
        enterprise_id = obj.pk
    if organisation_id is None and obj._meta.model_name == "organisation":
        organisation_id = obj.pk
    return organisation_id, enterprise_id


def record(
    actor,
    action: AuditAction,
    obj: models.Model,
    *,
    before: dict | None = None,
    after: dict | None = None,
    owner: models.Model | None = None,
) -> AuditEntry:
    """`owner`: the object whose tenant the row belongs to, when `obj` has no tenant of its own."""
    organisation_id, enterprise_id = _tenant_of(owner if owner is not None else obj)
    if action == AuditAction.DELETE and before is None:
        before = snapshot(obj)
    if action != AuditAction.DELETE and after is None:
        after = snapshot(obj)
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_email=getattr(actor, "email_id", "") or "",
        organisation_id=organisation_id,
        enterprise_id=enterprise_id,
        action=action,
        object_type=obj._meta.model_name or "",
        object_sid=getattr(obj, "sid", "") or "",
        object_repr=str(obj)[:200],
        before=before,
        after=after,
    )


def signed_in(user, via: str) -> AuditEntry:
    """A console sign-in (`via`: "password" or "sso")."""
    return AuditEntry.objects.create(
        actor=user,
        actor_email=user.email_id,
        organisation_id=user.organisation_id,
        enterprise_id=user.enterprise_id,
        action=AuditAction.SIGN_IN,
        object_type="user",
        object_sid=user.sid,
        object_repr=f"{user.email_id} via {via}"[:200],
        after={"via": via},
    )


def sign_in_failed(
    *,
    door: str,
    source: str,
    name: str,
    account_sid: str,
    organisation_id: int | None,
    enterprise_id: int | None,
    event: str,
    reason: str,
) -> AuditEntry:
    """A refused sign-in at `door` (console, api, hmac, sso), kept for the tenant of the account it
    named, if known. `event`: "failed" (wrong or unusable credentials), "locked" (this failure reached
    a limit), "throttled" (refused unchecked, or no longer audited one by one). Never the secret."""
    return AuditEntry.objects.create(
        actor=None,
        actor_email=name[:254],
        organisation_id=organisation_id,
        enterprise_id=enterprise_id,
        action=AuditAction.SIGN_IN_REFUSED,
        object_type=door,
        object_sid=account_sid[:40],
        object_repr=f"{name or '?'} from {source}: {reason}"[:200],
        after={"via": door, "event": event, "account": name[:254], "source": source, "reason": reason[:200]},
    )
