from django.urls import path

from leads import views

app_name = "leads"

urlpatterns = [
    path("", views.signup, name="signup"),
    path("check-your-email/", views.check_email, name="check_email"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("materials/<str:token>/", views.materials, name="materials"),
    path("materials/<str:token>/guide.pdf", views.guide, name="guide"),
    path(
        "materials/<str:token>/files/<int:material_id>/",
        views.material_file,
        name="material_file",
    ),
    path("materials/<str:token>/new-link/", views.materials_resend, name="materials_resend"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
