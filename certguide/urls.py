from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from certguide import views
from certguide.sitemaps import SITEMAPS
from embed.views import script as embed_script

# What visitors read, in every language: English at /, German at /de/, same slugs.
urlpatterns = i18n_patterns(
    path("", views.home, name="home"),
    path("certifications/<slug:slug>/", views.certification, name="certification"),
    path("compare/", views.compare, name="compare"),
    path("choose/", views.choose, name="choose"),
    path("wizard/", include("wizard.urls")),
    path("free-training/", include("leads.urls")),
    path("embed/", include("embed.urls")),
    prefix_default_language=False,
)

# Machines' and operators' addresses, one per site.
urlpatterns += [
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("integrations/", include("integrations.urls")),
    path("embed.js", embed_script, name="embed_script"),
    path("admin/", admin.site.urls),
]

handler500 = "certguide.views.server_error"
