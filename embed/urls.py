from django.urls import path

from embed import views

app_name = "embed"

urlpatterns = [
    path("quiz/", views.start, name="start"),
    path("quiz/<uuid:attempt_id>/step/<int:number>/", views.step, name="step"),
    path("quiz/<uuid:attempt_id>/result/", views.result, name="result"),
    path("quiz/<uuid:attempt_id>/signup/", views.signup, name="signup"),
    path("quiz/<uuid:attempt_id>/signup/sent/", views.check_email, name="check_email"),
]
