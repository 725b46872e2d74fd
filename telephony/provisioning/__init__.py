"""Provisioning backends: where an enterprise's telephony account, AA number routes and SIP
clients are created. `bundled` (the default) keeps them in this portal's telephony tables."""

from django.conf import settings
from django.utils.module_loading import import_string

from telephony.provisioning.base import ProvisioningBackend

BACKENDS = {
    "bundled": "telephony.provisioning.bundled.BundledBackend",
}


def get_backend() -> ProvisioningBackend:
    name = settings.PROVISIONING_BACKEND
    try:
        path = BACKENDS[name]
    except KeyError as exc:
        raise RuntimeError(f"Unknown PROVISIONING_BACKEND {name!r}; choose one of {sorted(BACKENDS)}") from exc
    return import_string(path)()
