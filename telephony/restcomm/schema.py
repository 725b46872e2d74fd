"""The Restcomm API's OpenAPI document and its interactive docs, beside the CSP API's:
`/restcomm/schema/` and `/restcomm/docs/` (the operations: telephony.restcomm.openapi)."""

from __future__ import annotations

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

SETTINGS = {
    "TITLE": "Restcomm REST API",
    "DESCRIPTION": (
        "The Restcomm REST API (version 2012-04-24) served by this platform, beside the `/autoattendant` "
        "CSP API (its documentation: `/autoattendant/docs/`). HTTP Basic with the account's SID or email "
        "and its AuthToken. Answers are XML (`<RestcommResponse>`) unless the resource's name ends in "
        "`.json`."
    ),
    "VERSION": "2012-04-24",
    "SECURITY": [{"basicAuth": []}],
    "APPEND_COMPONENTS": {"securitySchemes": {"basicAuth": {"type": "http", "scheme": "basic"}}},
    "PREPROCESSING_HOOKS": ["telephony.restcomm.openapi.only_restcomm_paths"],
}

urlpatterns = [path("restcomm/2012-04-24/", include("telephony.restcomm.urls"))]

schema_view = SpectacularAPIView.as_view(urlconf="telephony.restcomm.schema", custom_settings=SETTINGS)
docs_view = SpectacularSwaggerView.as_view(url_name="restcomm-schema")
