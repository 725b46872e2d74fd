"""Who may do what, by role; tenant scope is applied separately by the querysets.

Each service module declares its `PERMISSIONS` once, beside the functions that enforce them; the
API's viewsets and the console's views read the same declaration, so a page or a route is open to
exactly the roles the service would let through (a service may then refine, as users' roles do).
"""

from __future__ import annotations

from dataclasses import dataclass

from autoattendant.choices import Role
from autoattendant.errors import AAError, Code

EVERYONE = frozenset(Role)
ADMINS = frozenset({Role.CSP_ADMIN, Role.BG_ADMIN})
CSP_ADMINS = frozenset({Role.CSP_ADMIN})


@dataclass(frozen=True)
class Permissions:
    """The roles that may read, create, update and delete one kind of object."""

    read: frozenset[Role] = EVERYONE
    create: frozenset[Role] = EVERYONE
    update: frozenset[Role] = EVERYONE
    delete: frozenset[Role] = EVERYONE

    def require(self, user, action: str) -> None:
        """403 unless `user` has a role allowed to `action` ("read", "create", "update", "delete")."""
        require_role(user, *getattr(self, action))


def require_role(user, *roles: Role) -> None:
    if user is None or not user.is_authenticated or user.role not in roles:
        raise AAError(Code.FORBIDDEN)
