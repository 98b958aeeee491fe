"""WSGI entry point: ``gunicorn certguide.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "certguide.settings")

application = get_wsgi_application()
