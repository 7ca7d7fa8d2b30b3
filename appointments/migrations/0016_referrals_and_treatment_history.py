"""Referrals from clinicians (the request's source and the referrer's details) and the
treatment history (TreatmentTrial rows, and the therapy question).

Safe to run while the previous release still serves (docs/deployment.md, "Upgrading"): every
new column has a database default, so the old code's inserts, which do not name them, succeed
(a request it stores is a patient's, with no history); the new table is the new code's alone,
and the e-mail kind's new choice is not a database change.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('appointments', '0015_call_language'),
    ]

    operations = [
        migrations.AddField(
            model_name='appointmentrequest',
            name='antidepressant_managed_by',
            field=models.CharField(blank=True, choices=[('referrer', 'I will keep managing it'), ('clinic', 'I would like your clinic to take it over')], db_default='', default='', max_length=10, verbose_name='oral antidepressant managed by'),
        ),
        migrations.AddField(
            model_name='appointmentrequest',
            name='diagnosis',
            field=models.CharField(blank=True, db_default='', default='', max_length=300),
        ),
        migrations.AddField(
            model_name='appointmentrequest',
            name='had_therapy',
            field=models.CharField(blank=True, choices=[('now', 'Yes, now'), ('past', 'Yes, in the past'), ('no', 'No')], db_default='', default='', max_length=10, verbose_name='therapy for depression'),
        ),
        migrations.AddField(
            model_name='appointmentrequest',
            name='referrer_email',
            field=models.EmailField(blank=True, db_default='', default='', max_length=254, verbose_name="referrer's e-mail"),
        ),
        migrations.AddField(
            model_name='appointmentrequest',
            name='referrer_fax',
            field=models.CharField(blank=True, db_default='', default='', max_length=20, verbose_name="referrer's fax"),
        ),
        migrations.AddField(
            model_name='appointmentrequest',
            name='referrer_name',
            field=models.CharField(blank=True, db_default='', default='', max_length=200, verbose_name='referring clinician'),
        ),
        migrations.AddField(
            model_name='appointmentrequest',
            name='referrer_phone',
            field=models.CharField(blank=True, db_default='', default='', max_length=20, verbose_name="referrer's phone"),
        ),
        migrations.AddField(
            model_name='appointmentrequest',
            name='referrer_practice',
            field=models.CharField(blank=True, db_default='', default='', max_length=200, verbose_name='practice'),
        ),
        migrations.AddField(
            model_name='appointmentrequest',
            name='source',
            field=models.CharField(choices=[('patient', 'Patient'), ('referral', 'Referral')], db_default='patient', default='patient', max_length=10),
        ),
        migrations.AlterField(
            model_name='outgoingemail',
            name='kind',
            field=models.CharField(choices=[('staff', 'Staff e-mail'), ('patient', 'Patient acknowledgement'), ('referrer', 'Referrer acknowledgement')], max_length=10),
        ),
        migrations.CreateModel(
            name='TreatmentTrial',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('medicine', models.CharField(max_length=100)),
                ('duration', models.CharField(blank=True, choices=[('under6w', 'Less than 6 weeks'), ('6w-3m', '6 weeks to 3 months'), ('over3m', 'More than 3 months'), ('not_sure', 'Not sure')], max_length=10, verbose_name='how long')),
                ('helped', models.CharField(blank=True, choices=[('yes', 'Yes'), ('partly', 'A little'), ('no', 'No'), ('not_sure', 'Not sure')], max_length=10, verbose_name='did it help')),
                ('stopped_because', models.CharField(blank=True, choices=[('no_help', 'It did not help enough'), ('side_fx', 'Side effects'), ('still', 'Still taking it'), ('other', 'Another reason')], max_length=10, verbose_name='why stopped')),
                ('position', models.PositiveSmallIntegerField(default=0)),
                ('request', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='treatment_trials', to='appointments.appointmentrequest')),
            ],
            options={
                'ordering': ['position', 'pk'],
            },
        ),
    ]
