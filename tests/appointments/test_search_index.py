"""The triage list's search finds the same requests from its index as it would by reading every
row: on SQLite, a substring index kept by the database itself (clinic_site/substring_index.py);
on PostgreSQL, the trigram index of migration 0017."""

import random
import re

import pytest
from django.core.management import call_command
from django.db import connection

from appointments.models import AppointmentRequest, search_words
from clinic_site import substring_index
from tests.support.triage import LIST, rows

from .factories import make_request

pytestmark = pytest.mark.django_db

TABLE = AppointmentRequest._meta.db_table
INDEX = substring_index.index_name(TABLE, "search_text")
sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the substring index is SQLite's"
)

NAMES = ["Ramírez", "Ramirez", "Ramos", "Núñez", "O'Neil", "Zoë", "Li", "Ng", "Smith-Jones",
         "Ramsey", "Amira", "Mira", "Miranda", "Émile", "50%_off", 'say "hi"']  # fmt: skip
WORDS = ["ram", "ramirez", "amir", "mir", "ir", "nunez", "o'neil", "zoe", "li", "ng", "h-j",
         "smith-jones", "50%", "%_", "_o", '"hi', "zzz", "772", "5550", "example", "ORG", "é",
         "a", "mira"]  # fmt: skip


def in_the_index(word):
    """The rows the index itself names for `word`, whether or not the table still has them."""
    query = substring_index.containing(connection, TABLE, "search_text", word)
    with connection.cursor() as cursor:
        cursor.execute(query.sql, query.params)
        return [pk for (pk,) in cursor.fetchall()]


def by_reading_every_row(word):
    return {r.pk for r in AppointmentRequest.objects.all() if word in r.search_text}


@pytest.fixture
def patients():
    rng = random.Random(7)
    for n in range(60):
        first, last = rng.sample(NAMES, 2)
        make_request(first_name=first, last_name=last, email=f"{last[:3]}{n}@example.org")


def test_a_search_with_a_control_character_is_a_search_not_an_error(make_staff, signed_in):
    browser = signed_in(make_staff("frontdesk"))
    wanted = make_request(last_name="Haddad")
    for typed in ("haddad\x00", "had\x00dad", "\x00", "haddad\x1b"):
        response = browser.get(LIST, {"q": typed})
        assert response.status_code == 200, typed
    assert rows(browser.get(LIST, {"q": "haddad\x00"})) == [str(wanted.pk)]


@pytest.mark.parametrize("typed", WORDS)
def test_search_finds_what_reading_every_row_would(patients, typed):
    (word,) = search_words(typed)
    found = set(AppointmentRequest.objects.search(typed).values_list("pk", flat=True))
    assert found == by_reading_every_row(word)


def test_the_front_desk_finds_a_name_typed_after_the_index_was_made(make_staff, signed_in):
    browser = signed_in(make_staff("frontdesk"))
    make_request(first_name="Amira", last_name="Haddad")
    wanted = make_request(first_name="Samir", last_name="Haddad")
    assert rows(browser.get(LIST, {"q": "samir haddad"})) == [str(wanted.pk)]


@sqlite_only
def test_a_purged_request_leaves_nothing_the_index_can_find():
    gone = make_request(first_name="Quillon", last_name="Varga")
    kept = make_request(first_name="Quillon", last_name="Brandt")
    AppointmentRequest.objects.filter(pk=gone.pk).delete()
    assert in_the_index("quillon") == [kept.pk]
    assert in_the_index("varga") == []


@sqlite_only
@pytest.mark.django_db(transaction=True)  # a schema change, as a migration makes it
def test_a_migration_that_rebuilds_the_table_gets_its_index_back():
    # Django's SQLite schema editor rebuilds a table for most changes (a copy, a drop, a
    # rename), and the triggers that keep the index go with the old table: requests written
    # then would not be found.
    with connection.schema_editor() as editor:
        editor._remake_table(AppointmentRequest)
    written_meanwhile = make_request(first_name="Orsolya", last_name="Kertész")
    assert not AppointmentRequest.objects.search("Kertesz").exists()

    call_command("migrate", verbosity=0)  # what the release runs after every migration

    assert list(AppointmentRequest.objects.search("Kertesz")) == [written_meanwhile]
    after = make_request(first_name="Orsolya", last_name="Kertész")
    assert set(AppointmentRequest.objects.search("orsolya kertesz")) == {written_meanwhile, after}


@sqlite_only
def test_a_search_reads_the_rows_its_index_names_not_the_table():
    make_request(last_name="Ramírez")
    found = AppointmentRequest.objects.search("Ramirez").values("pk")
    sql, params = found.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " / ".join(row[-1] for row in cursor.fetchall())
    assert not re.search(rf"SCAN {TABLE}\b", plan), plan  # every row read
    assert f"SEARCH {TABLE} USING INTEGER PRIMARY KEY" in plan, plan
