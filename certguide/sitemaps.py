"""sitemap.xml: every public page in every language, with absolute URLs built from SITE_URL
and each URL's hreflang alternates (English is x-default)."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import sitemaps
from django.urls import reverse

from certguide.models import Certification


class SiteURLSitemap(sitemaps.Sitemap):
    """Takes scheme and host from SITE_URL, so a proxy's internal host never leaks in."""

    def get_protocol(self, protocol: str | None = None) -> str:
        return urlsplit(settings.SITE_URL).scheme or super().get_protocol(protocol)

    def get_domain(self, site=None) -> str:
        return urlsplit(settings.SITE_URL).netloc or super().get_domain(site)

    # One <url> per page and language, each listing all of them (Sitemap reverses each
    # location with the language active, so the /de/ prefix comes from i18n_patterns).
    i18n = True
    alternates = True
    x_default = True


class PageSitemap(SiteURLSitemap):
    changefreq = "weekly"

    def items(self) -> list[str]:
        return ["home", "compare", "choose", "wizard:start", "leads:signup"]

    def location(self, item: str) -> str:
        return reverse(item)


class CertificationSitemap(SiteURLSitemap):
    changefreq = "monthly"

    def items(self):
        return Certification.objects.order_by("order", "code")

    def lastmod(self, item: Certification):
        return item.updated_at


SITEMAPS = {"pages": PageSitemap, "certifications": CertificationSitemap}
