"""Imports finished before ImportJobRegion existed get their kab/kota from the registry: the
people of the households that appeared in the job's release, per kab/kota. (An approximation
for those old jobs only: two imports of one release both count its people.)"""

from django.db import migrations
from django.db.models import Count


def backfill(apps, schema_editor):
    ImportJob = apps.get_model("registry", "ImportJob")
    ImportJobRegion = apps.get_model("registry", "ImportJobRegion")
    Person = apps.get_model("registry", "Person")
    HouseholdAppearance = apps.get_model("registry", "HouseholdAppearance")
    for job in ImportJob.objects.filter(status="done", release__isnull=False, regions__isnull=True):
        households = HouseholdAppearance.objects.filter(release_id=job.release_id).values("household_id")
        counts = (Person._base_manager.filter(household_id__in=households).order_by().values("kab_code")
                  .annotate(n=Count("id")))
        ImportJobRegion.objects.bulk_create(
            [ImportJobRegion(job=job, kab_code=row["kab_code"], rows=row["n"]) for row in counts]
        )


class Migration(migrations.Migration):
    dependencies = [("registry", "0007_import_job_regions")]
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
