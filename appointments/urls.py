from django.urls import path

from . import views

app_name = "appointments"

urlpatterns = [
    path("", views.contact, name="contact"),
    path("thanks/", views.thanks, name="thanks"),
]
