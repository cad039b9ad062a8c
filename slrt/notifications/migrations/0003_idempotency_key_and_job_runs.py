import uuid

from django.db import migrations, models


def give_each_row_its_key(apps, schema_editor):
    # A callable default is evaluated once for AddField: every existing row gets its own key here.
    Notification = apps.get_model("notifications", "Notification")
    for pk in Notification.objects.values_list("pk", flat=True).iterator():
        Notification.objects.filter(pk=pk).update(idempotency_key=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0002_outbox_region_and_due_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="idempotency_key",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.RunPython(give_each_row_its_key, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="notification",
            name="idempotency_key",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.CreateModel(
            name="JobRun",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("job", models.CharField(max_length=40)),
                ("period_start", models.DateTimeField()),
                ("task_id", models.CharField(blank=True, max_length=64)),
                ("attempts", models.PositiveSmallIntegerField(default=1)),
                ("started_at", models.DateTimeField()),
                ("lease_until", models.DateTimeField()),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                ("outcome", models.CharField(blank=True, max_length=200)),
            ],
            options={
                "indexes": [models.Index(fields=["period_start"], name="jobrun_period_idx")],
                "constraints": [
                    models.UniqueConstraint(fields=("job", "period_start"), name="jobrun_once_per_period")
                ],
            },
        ),
    ]
