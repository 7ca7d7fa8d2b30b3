"""Five requests an hour from one client, however they are sent and whatever the cache does: on
the patient's form and on the clinicians' referral form (the `request_form` fixture), which
share the allowance."""

import threading
from datetime import timedelta
from functools import partial
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connections
from django.utils import timezone

from appointments.models import AppointmentRequest, RateCounter

from .conftest import aged_token, browser_at, clinician_data, patient_data, send

pytestmark = pytest.mark.django_db


@pytest.fixture
def form_data(request_form):
    return request_form.data


@pytest.fixture
def post_from(post_from, request_form):
    """The conftest's post_from, to the form under test."""
    return partial(post_from, path=request_form.path)


@pytest.fixture(params=["database", "redis"])
def shared_cache(request, settings):
    """The shared cache as production configures it: the database cache, or Redis when
    REDIS_URL is set. A tiny database cache culls after a few pages."""
    if request.param == "redis":
        if not settings.REDIS_URL:
            pytest.skip("REDIS_URL is not set")
        return  # tests/settings.py already uses Redis, on this run's own database number
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "test_shared_cache",
            "OPTIONS": {"MAX_ENTRIES": 50, "CULL_FREQUENCY": 2},
        }
    }
    call_command("createcachetable", verbosity=0)


def test_sixth_request_in_an_hour_gets_a_friendly_message_with_the_phone(
    client, form_data, request_form
):
    for n in range(5):
        data = {**form_data, "form_token": aged_token(10), "first_name": "Ann" + "a" * n}
        assert send(client, data, request_form.path).status_code == 302
    response = send(client, {**form_data, "form_token": aged_token(10)}, request_form.path)
    assert response.status_code == 429
    html = response.content.decode()
    assert "(772) 210-5450" in html and "tel:+17722105450" in html
    assert AppointmentRequest.objects.count() == 5


def test_rate_limit_is_per_client(form_data, post_from):
    for _ in range(5):
        post_from("203.0.113.7", form_data)
    assert post_from("203.0.113.7", form_data).status_code == 429
    assert post_from("198.51.100.9", form_data).status_code == 302


def test_a_form_sent_back_for_corrections_uses_no_allowance(form_data, post_from):
    for _ in range(5):
        assert post_from("203.0.113.7", {**form_data, "email": "not-an-address"}).status_code == 400
    assert post_from("203.0.113.7", form_data).status_code == 302


def test_rate_limit_keeps_no_raw_ip_address(form_data, post_from):
    address = "203.0.113.77"
    post_from(address, form_data)
    request = AppointmentRequest.objects.get()
    assert address not in str([getattr(request, f.attname) for f in request._meta.fields])
    counters = list(RateCounter.objects.values_list("key", "hits", "expires_at"))
    assert len(counters) == 1
    assert address not in str(counters)


def test_rate_limit_behind_a_proxy_uses_the_forwarded_address(form_data, settings, post_from):
    settings.RATE_LIMIT_TRUSTED_PROXIES = 1

    def post_as(client_address):
        # 10.0.0.1 is the proxy; 1.2.3.4 is whatever the client claimed.
        return post_from("10.0.0.1", form_data, HTTP_X_FORWARDED_FOR=f"1.2.3.4, {client_address}")

    for _ in range(5):
        post_as("203.0.113.8")
    assert post_as("203.0.113.8").status_code == 429
    assert post_as("203.0.113.9").status_code == 302


def test_a_bot_forging_a_new_forwarded_address_each_time_still_gets_429_on_the_sixth(
    form_data, settings, post_from
):
    """Behind one proxy, only the address the proxy appended counts: writing a different
    address of one's own in front of it every time earns no new allowance."""
    settings.RATE_LIMIT_TRUSTED_PROXIES = 1

    def post_forging(n):
        forged = f"192.0.2.{n}"
        return post_from("10.0.0.1", form_data, HTTP_X_FORWARDED_FOR=f"{forged}, 203.0.113.8")

    assert [post_forging(n).status_code for n in range(6)] == [302] * 5 + [429]
    assert AppointmentRequest.objects.count() == 5


@pytest.mark.django_db(transaction=True)
def test_twelve_forms_sent_at_once_store_at_most_five(form_data, request_form):
    tokens = [aged_token(10) for _ in range(12)]
    start = threading.Barrier(len(tokens))
    statuses = []

    def post(token):
        try:
            browser = browser_at("203.0.113.50")
            start.wait()
            data = {**form_data, "form_token": token}
            statuses.append(send(browser, data, request_form.path).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [302] * 5 + [429] * 7
    assert AppointmentRequest.objects.count() == 5


def test_window_is_the_configured_hour_whatever_the_cache(
    form_data, shared_cache, settings, post_from
):
    settings.APPOINTMENT_RATE_WINDOW_SECONDS = 3600
    start = timezone.now()

    def post_at(minutes):
        with mock.patch(
            "appointments.spam.timezone.now", return_value=start + timedelta(minutes=minutes)
        ):
            return post_from("203.0.113.60", form_data).status_code

    assert [post_at(0) for _ in range(5)] == [302] * 5
    # The database cache once kept counters for its default 300 seconds: not a limit at all.
    assert post_at(6) == 429
    assert post_at(59) == 429
    assert post_at(61) == 302


def test_a_flood_of_throwaway_urls_does_not_reset_a_limit(
    client, form_data, shared_cache, post_from
):
    for _ in range(5):
        post_from("203.0.113.70", form_data)
    for n in range(300):
        assert client.get(f"/?utm_campaign={n}").status_code == 200
    assert post_from("203.0.113.70", form_data).status_code == 429


def test_ended_windows_are_deleted_when_a_new_one_starts(form_data, post_from):
    long_ago = timezone.now() - timedelta(days=2)
    with mock.patch("appointments.spam.timezone.now", return_value=long_ago):
        post_from("203.0.113.80", form_data)
    post_from("198.51.100.81", form_data)
    assert RateCounter.objects.count() == 1
    assert RateCounter.objects.get().expires_at > timezone.now()


def test_the_patient_form_and_the_referral_form_share_one_allowance():
    # One client, one allowance: a script cannot get five more by switching forms.
    browser = browser_at("203.0.113.90")
    for _ in range(5):
        data = {**patient_data(), "form_token": aged_token(10)}
        assert send(browser, data).status_code == 302
    referral = {**clinician_data(), "form_token": aged_token(10)}
    assert send(browser, referral, "/refer/").status_code == 429
    assert AppointmentRequest.objects.count() == 5
