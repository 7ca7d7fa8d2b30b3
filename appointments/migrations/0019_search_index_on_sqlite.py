"""On SQLite, the triage search's substring index (clinic_site/substring_index.py): an FTS5
table beside the requests, kept by triggers, filled here from every request (14 s at a million
requests). PostgreSQL's trigram index is migration 0017's."""

from django.db import migrations

from clinic_site import substring_index

TABLE, COLUMN = "appointments_appointmentrequest", "search_text"


def create(apps, schema_editor):
    substring_index.create(schema_editor.connection, TABLE, COLUMN)


def drop(apps, schema_editor):
    # Before 0017 takes the column away: SQLite refuses to drop a column a trigger reads.
    substring_index.drop(schema_editor.connection, TABLE, COLUMN)


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0018_possible_duplicate_mark"),
    ]

    operations = [migrations.RunPython(create, drop)]
