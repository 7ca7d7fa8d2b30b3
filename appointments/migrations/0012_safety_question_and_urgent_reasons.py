"""The form's safety question (PHQ-9 item 9) replaces the required "this is not an emergency"
box. Requests from before keep working: their answer is blank (not asked) and their reasons
empty (flagged before reasons were kept); the admin says so.

Safe to run while the previous release still serves (docs/deployment.md, "Upgrading"): the new
columns have database defaults, so the old code's inserts, which do not name them, succeed; and
the old box's column leaves the model now but stays in the database, with a database default
so that the new code's inserts, which no longer name it, succeed too. A later release drops it
(with RunSQL: it is no longer in the migration state), as 0013 does for the e-mail columns.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('appointments', '0011_queue_rank'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AlterField(
                    model_name='appointmentrequest',
                    name='consent_not_emergency',
                    field=models.BooleanField(default=False, db_default=False),
                ),
            ],
            state_operations=[
                migrations.RemoveField(
                    model_name='appointmentrequest',
                    name='consent_not_emergency',
                ),
            ],
        ),
        migrations.AddField(
            model_name='appointmentrequest',
            name='safety_answer',
            field=models.CharField(blank=True, choices=[('yes', 'Yes'), ('no', 'No'), ('declined', "I'd rather not say")], db_default='', max_length=10, verbose_name='safety question'),
        ),
        migrations.AddField(
            model_name='appointmentrequest',
            name='urgent_reasons',
            field=models.JSONField(blank=True, db_default=[], default=list, editable=False, verbose_name='urgent because'),
        ),
    ]
