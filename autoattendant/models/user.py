from __future__ import annotations

import hashlib
import hmac
import secrets

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models

from autoattendant import sids
from autoattendant.choices import Role, UserStatus
from autoattendant.models.base import SidModel, TenantQuerySet


def hash_token(token: str) -> str:
    # Tokens are 256-bit random, so a fast hash is safe and keeps Basic auth cheap per request.
    return hashlib.sha256(token.encode()).hexdigest()


class UserQuerySet(TenantQuerySet):
    def named(self, name: str) -> UserQuerySet:
        """The user a sign-in names: by SID (`RCS…`) or, case-insensitively, by email."""
        return self.filter(sid=name) if name.startswith(sids.USER) else self.filter(email_id__iexact=name)

    def for_aa_admin(self, user) -> UserQuerySet:
        """An AA admin sees itself only."""
        return self.filter(pk=user.pk)


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        return self.get(email_id__iexact=username)


class User(AbstractBaseUser, SidModel):
    """A person or system that uses the portal: a CSP admin, an enterprise admin or an AA admin."""

    SID_PREFIX = sids.USER

    email_id = models.EmailField(max_length=254, unique=True)
    name = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices)
    status = models.CharField(max_length=16, choices=UserStatus.choices, default=UserStatus.ACTIVE)
    organisation = models.ForeignKey("autoattendant.Organisation", on_delete=models.PROTECT, related_name="users")
    enterprise = models.ForeignKey(
        "autoattendant.Enterprise", null=True, blank=True, on_delete=models.CASCADE, related_name="users"
    )
    auth_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    aa_systems = models.ManyToManyField(
        "autoattendant.AutoAttendantSystem",
        blank=True,
        related_name="aa_admins",
        help_text="The AA systems an AA_ADMIN manages.",
    )

    USERNAME_FIELD = "email_id"
    EMAIL_FIELD = "email_id"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["date_created", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role=Role.CSP_ADMIN) | models.Q(enterprise__isnull=False),
                name="user_enterprise_roles_have_enterprise",
            ),
        ]

    @property
    def is_active(self) -> bool:
        return self.status == UserStatus.ACTIVE

    def issue_auth_token(self) -> str:
        """A new API token; only its hash is stored, so it is shown once."""
        token = secrets.token_hex(32)
        self.auth_token_hash = hash_token(token)
        return token

    def check_auth_token(self, token: str) -> bool:
        return bool(self.auth_token_hash) and hmac.compare_digest(self.auth_token_hash, hash_token(token))
