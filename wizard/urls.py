from django.urls import path

from wizard import share, views

app_name = "wizard"

urlpatterns = [
    path("", views.start, name="start"),
    path("<uuid:attempt_id>/step/<int:number>/", views.step, name="step"),
    path("result/<uuid:attempt_id>/", views.result, name="result"),
    path("result/<uuid:attempt_id>/card.png", share.card, name="card"),
]
