"""Bare Django for the load benchmark: no apps, no middleware, one view returning "ok".

    gunicorn bench.bare:application

The ceiling any page of the site can reach on this machine: what Django itself costs to
route a request and answer it, under the same gunicorn settings as the site. load.py
serves it beside the site and reports each content page as a fraction of it.
"""

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest, HttpResponse
from django.urls import path

settings.configure(
    DEBUG=False,
    SECRET_KEY="bare-benchmark-" + "b" * 50,
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=[],
    MIDDLEWARE=[],
    DATABASES={},
    USE_I18N=False,
)


def ok(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("_bare", ok)]

application = get_wsgi_application()
