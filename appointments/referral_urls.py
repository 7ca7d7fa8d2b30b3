"""The clinicians' referral form, at /refer/ (/es/refer/): its own address and names, the
Contact page's machinery (appointments/views.py)."""

from django.urls import path

from . import views

app_name = "referrals"

urlpatterns = [
    path("", views.refer, name="refer"),
    path("thanks/", views.referral_thanks, name="thanks"),
]
