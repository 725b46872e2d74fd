"""Restcomm's error answer: a RestException with a code, a message, where to read more and the status."""

from __future__ import annotations

from typing import Any

MORE_INFO = "https://www.restcomm.com/docs/api/errors/"


class RestcommError(Exception):
    def __init__(self, status: int, message: str, code: int | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code if code is not None else status

    def representation(self) -> dict[str, Any]:
        return {
            "Code": self.code,
            "Message": self.message,
            "MoreInfo": f"{MORE_INFO}{self.code}",
            "Status": self.status,
        }
