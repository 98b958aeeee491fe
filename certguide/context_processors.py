from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, str]:
    """Values every template may need: the absolute base URL for canonical links."""
    return {"SITE_URL": settings.SITE_URL or request.build_absolute_uri("/").rstrip("/")}
