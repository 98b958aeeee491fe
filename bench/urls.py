"""The site's URLs plus /_floor, the benchmarks' floor (selected by bench/settings.py)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.http import require_safe

from certguide.urls import handler500
from certguide.urls import urlpatterns as site_urlpatterns

__all__ = ["handler500", "urlpatterns"]


@require_safe
def floor(request: HttpRequest) -> HttpResponse:
    """What every request costs: the full middleware stack, no template, no query."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("_floor", floor, name="floor"), *site_urlpatterns]
