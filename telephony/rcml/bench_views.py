"""The baseline of bench/rcml_fetch.py: a bare Django view returning a constant RCML document.

Routed (at /bench/rcml-constant) only when settings.BENCH_VIEWS is on (env BENCH_VIEWS=1, off by
default), so production never serves it. It goes through the same middleware and URL resolver as
the executor's endpoints, accepts the same POST, and answers a document of the size and shape of a
menu document, but authenticates nothing, parses nothing and reads nothing: the difference between
the two is the cost of the executor's hot path itself.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

XML = "text/xml; charset=utf-8"
BASE = "/rcml/AA00000000000000000000000000000000/1"
MENU = "MN00000000000000000000000000000000"
STATE = f"path={MENU}&amp;t=0&amp;i=0&amp;e=0"
DOCUMENT = (
    "<Response>"
    f'<Gather action="{BASE}/input/{MENU}?{STATE}" method="POST" numDigits="3" timeout="5" finishOnKey="#">'
    f"<Play>/autoattendant/announcement/AN00000000000000000000000000000000/audio.wav</Play>"
    "</Gather>"
    f'<Redirect method="POST">{BASE}/input/{MENU}?{STATE}</Redirect>'
    "</Response>"
).encode()


@csrf_exempt
def constant_rcml(request: HttpRequest) -> HttpResponse:
    return HttpResponse(DOCUMENT, content_type=XML)
