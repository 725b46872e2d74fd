import os
import sys

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
portal_application = get_wsgi_application()

from portal.executor_wsgi import EXECUTOR_PREFIX, ExecutorHandler  # noqa: E402  (after Django's setup)

executor_application = ExecutorHandler()


def application(environ, start_response):
    """The executor's endpoints by their lean handler (portal/executor_wsgi.py); the rest by Django's."""
    if environ.get("PATH_INFO", "").startswith(EXECUTOR_PREFIX):
        return executor_application(environ, start_response)
    return portal_application(environ, start_response)


# gunicorn's gthread workers serve several requests per process; with CPython's default 5 ms switch
# interval a thread back from a Redis or PostgreSQL round trip can wait that long for the interpreter,
# and a call step makes two or three of them (bench/rcml_fetch.py: p99 of the entry document).
sys.setswitchinterval(float(os.environ.get("PYTHON_SWITCH_INTERVAL", "0.001")))
