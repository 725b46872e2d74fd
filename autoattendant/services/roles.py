"""Who may do what, by role; tenant scope is applied separately by the querysets."""

from __future__ import annotations

from autoattendant.choices import Role
from autoattendant.errors import AAError, Code


def require_role(user, *roles: Role) -> None:
    if user is None or not user.is_authenticated or user.role not in roles:
        raise AAError(Code.FORBIDDEN)


def require_csp_admin(user) -> None:
    require_role(user, Role.CSP_ADMIN)
