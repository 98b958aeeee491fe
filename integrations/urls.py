from django.urls import path

from integrations import views

app_name = "integrations"

urlpatterns = [
    path("inbound/<str:token>/", views.inbound, name="inbound"),
]
