"""Every installation starts with the programme catalogue (idempotent, keeps edited rules)."""

from django.db import migrations


def seed(apps, schema_editor):
    from slrt.programs.catalogue import load_catalogue

    load_catalogue(apps.get_model("programs", "Program"), apps.get_model("programs", "EligibilityRule"))


class Migration(migrations.Migration):
    dependencies = [("programs", "0002_program_short_name_agency_kind_cash")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
