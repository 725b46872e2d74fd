"""Settings come from the environment (12-factor); defaults run everything on one machine.

DATABASE_URL / REDIS_URL point at real services; without them the embedded PostgreSQL and
Redis that `make run` starts under DATA_DIR are used (see portal.embedded).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONCE

from portal import embedded

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = embedded.data_dir()


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = DATA_DIR / "secret_key"
    try:
        return key_file.read_text().strip()
    except OSError:
        pass
    key = secrets.token_urlsafe(50)
    try:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(key)
        key_file.chmod(0o600)
    except OSError:
        pass  # read-only checkout: a per-process key is still safe, sessions just don't survive
    return key


SECRET_KEY = _secret_key()


def _executor_token() -> str:
    """The shared token of the call executors: EXECUTOR_TOKEN, or derived from the secret key."""
    if os.environ.get("EXECUTOR_TOKEN"):
        return os.environ["EXECUTOR_TOKEN"]
    import hashlib

    return hashlib.sha256(f"executor:{SECRET_KEY}".encode()).hexdigest()


EXECUTOR_TOKEN = _executor_token()
# What an RCML application's URLs (VoiceUrl, action, Redirect, Play, StatusCallback…) may reach
# inside: comma-separated hosts, host:port or CIDR networks opened among the addresses the executors
# refuse (loopback, link-local, this machine's); the executors read the same variable
# (telephony/executor/fetch_policy.py). The portal's own URL is always allowed.
RCML_FETCH_ALLOW = os.environ.get("RCML_FETCH_ALLOW", "").strip()
DEBUG = env_bool("DEBUG")
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]
CSRF_FAILURE_VIEW = "autoattendant.api.errors.csrf_failure"  # the envelope under /autoattendant

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "autoattendant",
    "telephony",
    "portal.console",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Content-Security-Policy on every answer (the docs pages' own policy), and no-store on signed-in ones.
    "portal.security.ContentSecurityPolicyMiddleware",
    "portal.security.NoStoreWhenSignedInMiddleware",
]

# /autoattendant/enterprise and /autoattendant/enterprise/ are both served; no redirects.
APPEND_SLASH = False

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": embedded.DATABASE_NAME,
            "USER": "postgres",
            "HOST": str(embedded.postgres_socket_dir() or embedded.postgres_dir()),
            "PORT": embedded.postgres_port(),
            "CONN_MAX_AGE": 60,
        }
    }
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL") or embedded.redis_url()

CACHES = {
    "default": {
        "BACKEND": "portal.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "aa"),
    }
}
# Celery's Redis connections (broker and results) wait forever on a server that stopped answering
# (kombu's default): a request queueing a task would hang on a paused Redis. The cache's own timeouts
# are in portal/cache.py. The worker's BRPOP waits 1 s, well within this.
CELERY_REDIS_SOCKET_TIMEOUT = 2  # seconds
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2

AUTH_USER_MODEL = "autoattendant.User"
# Failed sign-ins on every door (console, API Basic, HMAC-signed requests, SSO links), counted in the
# cache by autoattendant.services.sign_in_guard: a user's password is refused everywhere after
# LOGIN_FAILURE_LIMIT failures, an address on every door after SIGN_IN_SOURCE_LIMIT, each for
# LOGIN_COOLOFF_MINUTES.
SIGN_IN_ACCOUNT_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
SIGN_IN_SOURCE_LIMIT = int(os.environ.get("SIGN_IN_SOURCE_LIMIT", "20"))
SIGN_IN_COOLOFF_SECONDS = int(float(os.environ.get("LOGIN_COOLOFF_MINUTES", "15")) * 60)
# Behind a TLS proxy the caller's address is the last one of X-Forwarded-For (the proxy's own entry).
SIGN_IN_ADDRESS_FROM_PROXY = env_bool("BEHIND_TLS_PROXY")
LOGIN_URL = "console:login"
LOGIN_REDIRECT_URL = "console:dashboard"
LOGOUT_REDIRECT_URL = "console:login"
AUTH_PASSWORD_VALIDATORS = [
    # The password length every service checks, for Django's own password change form too.
    {"NAME": "autoattendant.services.field_rules.PasswordLengthValidator"},
]
if os.environ.get("FAST_PASSWORD_HASHER"):  # test suites only: PBKDF2 dominates their run time
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or DATA_DIR / "media")
# Announcements: uploads larger (529) or longer (528) than these are refused.
ANNOUNCEMENT_MAX_BYTES = int(os.environ.get("ANNOUNCEMENT_MAX_BYTES", str(20 * 1024 * 1024)))
ANNOUNCEMENT_MAX_SECONDS = float(os.environ.get("ANNOUNCEMENT_MAX_SECONDS", "300"))

SESSION_COOKIE_HTTPONLY = True
# Flash messages live in the session: they end with it, never outliving a sign-out in a cookie.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_HOURS", "12")) * 3600
# Over HTTPS (SECURE_COOKIES, or behind a TLS proxy) the session and CSRF cookies are sent only over HTTPS.
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", env_bool("BEHIND_TLS_PROXY"))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY") else None
# HSTS over HTTPS only (SecurityMiddleware sends it on secure requests; never on plain http).
SECURE_HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", "31536000")) if SESSION_COOKIE_SECURE else 0
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Content-Security-Policy (django-csp): the console serves every script, style, image and sound
# itself and has no inline code or styles. htmx is told not to add its indicator <style> and not to
# eval (templates/console/base.html).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "media-src": ["'self'"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# The API docs pages (Swagger UI, ReDoc) start from an inline script (with a nonce) and style
# themselves inline; ReDoc runs a web worker from a blob. They show no tenant data.
# (the paths, what is added to the policy there)
CONTENT_SECURITY_POLICY_DOCS = (
    ("/autoattendant/docs/", "/autoattendant/redoc/"),
    {"script-src": [NONCE], "style-src": ["'unsafe-inline'"], "worker-src": ["blob:"]},
)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "autoattendant.api.authentication.TokenBasicAuthentication",
        "autoattendant.api.authentication.HmacSignatureAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_THROTTLE_ANON", "120/min"),
        "user": os.environ.get("API_THROTTLE_USER", "6000/min"),
    },
    "EXCEPTION_HANDLER": "autoattendant.api.errors.envelope_exception_handler",
    # No OPTIONS metadata (a bare, unenveloped description of the view): OPTIONS is a 405 envelope.
    "DEFAULT_METADATA_CLASS": None,
    "DEFAULT_SCHEMA_CLASS": "autoattendant.api.schema.EnvelopeAutoSchema",
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Auto Attendant Portal API",
    "DESCRIPTION": (
        "The `/autoattendant` API for communication service providers and their enterprises. "
        "Authenticate with HTTP Basic (`userSid` or `emailId` as the user name, the auth token as the "
        "password; a console password is not accepted) or sign requests with the organisation's HMAC "
        "key (headers `X-AA-Key-Sid`, `X-AA-Timestamp`, `X-AA-Signature`; see the README). Too many "
        "failed authentications from one address answer 429 with `Retry-After`. The Restcomm REST API "
        "served beside it is documented at `/restcomm/docs/`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Offline docs: no badge fetched from the online validator (validator.swagger.io).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "APPEND_COMPONENTS": {
        "securitySchemes": {
            "basicAuth": {"type": "http", "scheme": "basic"},
            "hmacSignature": {
                "type": "apiKey",
                "in": "header",
                "name": "X-AA-Signature",
                "description": (
                    "hex HMAC-SHA256 with the organisation's HMAC key over "
                    "`{timestamp}\\n{METHOD}\\n{path with query}\\n{sha256 hex of the body}`; "
                    "send with `X-AA-Key-Sid` and `X-AA-Timestamp` (Unix seconds, within 5 minutes)."
                ),
            },
        }
    },
    "SECURITY": [{"basicAuth": []}, {"hmacSignature": []}],
    # Security is declared once, above; the authenticator classes need no schema extensions.
    "AUTHENTICATION_WHITELIST": [],
    "ENUM_NAME_OVERRIDES": {
        "UserStatusEnum": "autoattendant.choices.UserStatus",
        "SystemStatusEnum": "autoattendant.choices.SystemStatus",
        "AnnouncementTypeEnum": "autoattendant.choices.AnnouncementType",
    },
    "PREPROCESSING_HOOKS": ["autoattendant.api.schema.only_canonical_paths"],
}

# Signed requests: allowed clock skew and how long a used signature is remembered.
HMAC_MAX_SKEW_SECONDS = int(os.environ.get("HMAC_MAX_SKEW_SECONDS", "300"))
# Single sign-on links (/autoattendant/sso): how old a link may be.
SSO_MAX_AGE_SECONDS = int(os.environ.get("SSO_MAX_AGE_SECONDS", "300"))

# Celery: tasks are acknowledged late and idempotent, so a killed worker loses nothing.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or REDIS_URL.replace("unix://", "redis+socket://")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or CELERY_BROKER_URL
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER")
CELERY_TASK_DEFAULT_QUEUE = "default"
# Redis has no acks: a message a worker has taken but not yet acknowledged (acks_late: until its
# task ends) waits in Redis' `unacked` hash. A killed pool child's message is requeued at once by
# its parent (reject_on_worker_lost); if the whole worker dies (SIGKILL, OOM, host crash) a worker
# puts the message back once it is older than visibility_timeout. Kombu's default is an hour; it
# only has to exceed how long a message may stay unacknowledged (the longest task time limit, 60 s,
# retry countdowns of at most 16 s, and the wait of a prefetched message behind a running task). A
# task still running after it would be run a second time: tasks are idempotent. The sweep for such
# messages runs at worker start and then every unacked_restore_interval (10 s) with the throttle at
# 1 (kombu's default throttle, 10, makes that every 100 s). tests/telephony/test_publishing.py.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "300")),
    "unacked_restore_throttle": 1,
}
CELERY_BROKER_TRANSPORT_OPTIONS.update(
    socket_timeout=CELERY_REDIS_SOCKET_TIMEOUT, socket_connect_timeout=CELERY_REDIS_SOCKET_CONNECT_TIMEOUT
)

# Periodic work, sent by `celery beat` (one beat process per installation) to the workers.
# Publishing is derived state: every PUBLISH_RECONCILE_SECONDS the systems whose configuration is
# ahead of their published version are queued again (and at every worker start), unless their
# publish was queued in the last PUBLISH_QUEUED_GRACE_SECONDS (autoattendant/services/publishing.py).
PUBLISH_RECONCILE_SECONDS = float(os.environ.get("PUBLISH_RECONCILE_SECONDS", "3"))
PUBLISH_QUEUED_GRACE_SECONDS = int(os.environ.get("PUBLISH_QUEUED_GRACE_SECONDS", "5"))
# A call is recorded IN_PROGRESS when the portal serves its entry document; one whose executor has
# not reported its end CALL_LOST_AFTER_SECONDS after it started is closed as LOST (the executor
# died with it). Longer than the longest call an executor allows (4 h), so that no call still
# going is closed; checked every CALL_LOST_CHECK_SECONDS (autoattendant/services/calls.py).
CALL_LOST_AFTER_SECONDS = int(os.environ.get("CALL_LOST_AFTER_SECONDS", str(4 * 3600 + 300)))
CALL_LOST_CHECK_SECONDS = float(os.environ.get("CALL_LOST_CHECK_SECONDS", "60"))
# The calls of an executor that stopped (no heartbeat for 30 s) or restarted are closed as LOST
# sooner, checked every EXECUTOR_LOST_CHECK_SECONDS (telephony/live_calls.py).
EXECUTOR_LOST_CHECK_SECONDS = float(os.environ.get("EXECUTOR_LOST_CHECK_SECONDS", "10"))
# Call records off the request path: the call endpoints queue a call's start and end in a Redis
# stream; a writer task stores what is queued, at most CALL_RECORDS_BATCH entries a transaction. It
# is sent CALL_RECORDS_FLUSH_SECONDS after the first event queued since its last run, and by beat as
# often, so records are in the database within about twice that (autoattendant/services/calls.py).
CALL_RECORDS_FLUSH_SECONDS = float(os.environ.get("CALL_RECORDS_FLUSH_SECONDS", "1"))
CALL_RECORDS_BATCH = int(os.environ.get("CALL_RECORDS_BATCH", "2000"))
# Beat keeps its schedule in memory: every entry runs every few seconds, so nothing is lost by
# forgetting when each last ran, and without the default's shelve file a SIGTERM during a tick can no
# longer end beat with "invalid operation on closed shelf" (exit status 1).
CELERY_BEAT_SCHEDULER = "celery.beat:Scheduler"
CELERY_BEAT_SCHEDULE = {
    # Each entry expires after its interval: a backlog sent while no worker ran is dropped, not run.
    "reconcile-publishing": {
        "task": "autoattendant.reconcile_publishing",
        "schedule": PUBLISH_RECONCILE_SECONDS,
        "options": {"expires": PUBLISH_RECONCILE_SECONDS},
    },
    "close-lost-calls": {
        "task": "autoattendant.close_lost_calls",
        "schedule": CALL_LOST_CHECK_SECONDS,
        "options": {"expires": CALL_LOST_CHECK_SECONDS},
    },
    "close-calls-of-stopped-executors": {
        "task": "telephony.close_calls_of_stopped_executors",
        "schedule": EXECUTOR_LOST_CHECK_SECONDS,
        "options": {"expires": EXECUTOR_LOST_CHECK_SECONDS},
    },
    "store-queued-calls": {
        "task": "autoattendant.store_queued_calls",
        "schedule": CALL_RECORDS_FLUSH_SECONDS,
        "options": {"expires": CALL_RECORDS_FLUSH_SECONDS},
    },
}

# Where telephony resources are provisioned: one of PROVISIONING_BACKENDS (autoattendant/provisioning.py).
PROVISIONING_BACKEND = os.environ.get("PROVISIONING_BACKEND", "bundled")
PROVISIONING_BACKENDS = {
    "bundled": "telephony.provisioning.bundled.BundledBackend",
    "restcomm": "telephony.provisioning.restcomm.RestcommBackend",
}

PORTAL_HTTP_PORT = int(os.environ.get("PORTAL_HTTP_PORT", "8000"))

# The `restcomm` backend (telephony/provisioning/restcomm.py): the Restcomm server's base URL (up to
# and without `/2012-04-24`, e.g. http://restcomm.example:8080/restcomm), its administrator account
# (Sid and AuthToken; on this product a CSP's account, printed by `createcsp --json`), and how long
# one request may take, in seconds.
RESTCOMM_URL = os.environ.get("RESTCOMM_URL", "").rstrip("/")
RESTCOMM_ACCOUNT_SID = os.environ.get("RESTCOMM_ACCOUNT_SID", "")
RESTCOMM_AUTH_TOKEN = os.environ.get("RESTCOMM_AUTH_TOKEN", "")
RESTCOMM_TIMEOUT = float(os.environ.get("RESTCOMM_TIMEOUT") or 5)
# This portal's base URL as a remote Restcomm server reaches it: an AA number's VoiceUrl is its
# `/rcml/voice` with the enterprise's own credentials (telephony/rcml/entry_credentials.py).
RCML_PUBLIC_URL = (os.environ.get("RCML_PUBLIC_URL") or f"http://127.0.0.1:{PORTAL_HTTP_PORT}").rstrip("/")

# The SIP edge (Kamailio, telephony.edge; README "The SIP edge"). Callers and phones use
# SIP_BIND:SIP_PORT, where Kamailio listens (UDP and TCP); it keeps its pid file, RPC socket and
# rendered configuration in SIP_EDGE_RUN_DIR. Limits at the edge: more than
# SIP_EDGE_REGISTER_DENSITY REGISTERs per 2 s, or SIP_EDGE_AUTH_FAILURES wrong passwords, from one
# address and that address gets no answer for SIP_EDGE_BAN_SECONDS. An executor that does not answer
# an INVITE within SIP_EDGE_EXECUTOR_TIMEOUT_MS (or answers 5xx) gets the call's next try elsewhere;
# executors are probed with OPTIONS every SIP_EDGE_PING_SECONDS.
SIP_BIND = os.environ.get("SIP_BIND") or "127.0.0.1"
SIP_PORT = int(os.environ.get("SIP_PORT") or 5080)
SIP_EDGE_RUN_DIR = Path(os.environ.get("SIP_EDGE_RUN_DIR") or DATA_DIR / "kamailio")
SIP_EDGE_KAMAILIO = os.environ.get("SIP_EDGE_KAMAILIO") or "/usr/sbin/kamailio"
SIP_EDGE_CHILDREN = int(os.environ.get("SIP_EDGE_CHILDREN") or 4)
SIP_EDGE_SHARED_MEMORY_MB = int(os.environ.get("SIP_EDGE_SHARED_MEMORY_MB") or 256)
SIP_EDGE_PING_SECONDS = int(os.environ.get("SIP_EDGE_PING_SECONDS") or 2)
SIP_EDGE_EXECUTOR_TIMEOUT_MS = int(os.environ.get("SIP_EDGE_EXECUTOR_TIMEOUT_MS") or 1500)
SIP_EDGE_REGISTER_DENSITY = int(os.environ.get("SIP_EDGE_REGISTER_DENSITY") or 40)
SIP_EDGE_AUTH_FAILURES = int(os.environ.get("SIP_EDGE_AUTH_FAILURES") or 10)
SIP_EDGE_BAN_SECONDS = int(os.environ.get("SIP_EDGE_BAN_SECONDS") or 300)
# Calls to numbers that no gateway of their account (or of an account above it) takes go to
# SIP_OUTBOUND_PROXY (host[:port]), or to SIP_OUTBOUND_PROXY_FALLBACK once an administrator switched
# (Restcomm's OutboundProxy/switchProxy; the choice is kept in the database, every edge reads it).
SIP_OUTBOUND_PROXY = os.environ.get("SIP_OUTBOUND_PROXY") or ""
SIP_OUTBOUND_PROXY_FALLBACK = os.environ.get("SIP_OUTBOUND_PROXY_FALLBACK") or ""
# host[:port] where gateways reach the edge (the Contact of its registrations with them); unset,
# SIP_BIND:SIP_PORT (127.0.0.1 when SIP_BIND is 0.0.0.0).
SIP_EDGE_PUBLIC_ADDRESS = os.environ.get("SIP_EDGE_PUBLIC_ADDRESS") or ""

# Benchmark-only routes (telephony/rcml/bench_views.py, for bench/rcml_fetch.py): never in production.
BENCH_VIEWS = env_bool("BENCH_VIEWS")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}
