from django.contrib import admin
from django.urls import include, path

from certguide import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("wizard/", include("wizard.urls")),
    path("free-training/", include("leads.urls")),
    path("admin/", admin.site.urls),
]

handler500 = "certguide.views.server_error"
