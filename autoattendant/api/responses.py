"""The success envelope: `{"data": ..., "code": 200, "message": "OK"}`."""

from rest_framework.response import Response


def ok(data, *, status: int = 200) -> Response:
    return Response({"data": data, "code": 200, "message": "OK"}, status=status)
