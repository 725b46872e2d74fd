"""What every service shares: the marker for a field a change leaves out, and saving under a
unique constraint."""

from __future__ import annotations

from django.db import IntegrityError, models, transaction

from autoattendant.errors import AAError, ErrorCode


class Unset:
    """A keyword argument the caller did not give (None may be a value: "no default menu")."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET = Unset()


def save_unique(obj: models.Model, conflicts: dict[str, ErrorCode]) -> None:
    """Save `obj`; a lost race on a unique constraint whose name (or column) is a key of
    `conflicts` becomes that coded error, as the check before the write would have answered."""
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:
        text = str(exc)
        for constraint, error_code in conflicts.items():
            if constraint in text:
                raise AAError(error_code) from exc
        raise
