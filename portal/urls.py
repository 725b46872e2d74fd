from django.conf import settings
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from autoattendant.api import errors
from portal import health
from portal.console import sso
from telephony.restcomm import schema as restcomm_schema

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("", RedirectView.as_view(pattern_name="console:dashboard"), name="home"),
    path("console/", include("portal.console.urls")),
    path("autoattendant/sso", sso.single_sign_on, name="sso"),
    path("", include("autoattendant.api.urls")),
    path("", include("telephony.rcml.urls")),
    path("restcomm/schema/", restcomm_schema.schema_view, name="restcomm-schema"),
    path("restcomm/docs/", restcomm_schema.docs_view, name="restcomm-docs"),
    # The Restcomm REST API, where Restcomm serves it and at the bare version as the reference also writes it.
    path("restcomm/2012-04-24/", include("telephony.restcomm.urls")),
    path("2012-04-24/", include("telephony.restcomm.urls")),
    # Anything else under /autoattendant is an unknown route, answered in the envelope.
    re_path(r"^autoattendant(/.*)?$", errors.unknown_route),
]

if settings.BENCH_VIEWS:  # bench/rcml_fetch.py's baseline, only with BENCH_VIEWS=1
    from telephony.rcml import bench_views

    urlpatterns.append(path("bench/rcml-constant", bench_views.constant_rcml, name="bench-rcml-constant"))

handler400 = errors.handler400
handler403 = errors.handler403
handler404 = errors.handler404
handler500 = errors.handler500
