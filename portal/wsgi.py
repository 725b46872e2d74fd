import os
import sys

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_wsgi_application()

# gunicorn's gthread workers serve several requests per process; with CPython's default 5 ms switch
# interval a thread back from a Redis or PostgreSQL round trip can wait that long for the interpreter,
# and a call step makes two or three of them (bench/rcml_fetch.py: p99 of the entry document).
sys.setswitchinterval(float(os.environ.get("PYTHON_SWITCH_INTERVAL", "0.001")))
