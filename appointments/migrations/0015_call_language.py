"""The form asks which language the patient would like us to speak when we contact them
(issue 25, point 13).

Safe to run while the previous release still serves (docs/deployment.md, "Upgrading"): the new
column has a database default (blank: not asked), so the old code's inserts, which do not name
it, succeed.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('appointments', '0014_reply_report_permission'),
    ]

    operations = [
        migrations.AddField(
            model_name='appointmentrequest',
            name='call_language',
            field=models.CharField(blank=True, choices=[('en', 'English'), ('es', 'Spanish')], db_default='', max_length=2, verbose_name='preferred language'),
        ),
    ]
