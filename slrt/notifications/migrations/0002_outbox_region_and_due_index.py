from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="prov_code",
            field=models.CharField(db_index=True, default="", editable=False, max_length=2),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="notification",
            name="kab_code",
            field=models.CharField(db_index=True, default="", editable=False, max_length=5),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="notification",
            name="kec_code",
            field=models.CharField(db_index=True, default="", editable=False, max_length=8),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="notification",
            name="desa_code",
            field=models.CharField(db_index=True, default="", editable=False, max_length=13),
            preserve_default=False,
        ),
        migrations.AlterModelOptions(
            name="notification",
            options={"ordering": ["-created_at"], "verbose_name": "notifikasi"},
        ),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(fields=["status", "next_attempt_at"], name="notif_due_idx"),
        ),
    ]
