"""One counter table for every issued number: tickets, referral numbers and letter numbers.

The ticket counters keep their rows (kind "ticket"); referral and letter counters start at the
highest sequence already issued per kabupaten/kota and year, so numbers continue without
colliding with existing rows.
"""

from django.db import migrations, models


def _kab(digits: str) -> str | None:
    """'3201' -> '32.01' (the counter key is the dotted kab code, like `Case.kab_code`)."""
    return f"{digits[:2]}.{digits[2:]}" if len(digits) == 4 and digits.isdigit() else None


def _referral_key(number: str):
    # RJK-3201-2026-000001
    parts = number.split("-")
    if len(parts) != 4 or parts[0] != "RJK" or not (parts[2].isdigit() and parts[3].isdigit()):
        return None
    kab = _kab(parts[1])
    return (kab, int(parts[2]), int(parts[3])) if kab else None


def _letter_key(number: str):
    # 400.9/0001/SLRT-3201/2026
    parts = number.split("/")
    if len(parts) != 4 or not parts[2].startswith("SLRT-") or not (parts[1].isdigit() and parts[3].isdigit()):
        return None
    kab = _kab(parts[2].removeprefix("SLRT-"))
    return (kab, int(parts[3]), int(parts[1])) if kab else None


def seed_counters(apps, schema_editor):
    # Scoped models keep no manager in migrations; the base manager reads every row.
    Counter = apps.get_model("cases", "Counter")
    Letter = apps.get_model("cases", "Letter")
    Referral = apps.get_model("referrals", "Referral")
    for kind, numbers, parse in (
        ("referral", Referral._base_manager.values_list("number", flat=True).iterator(), _referral_key),
        ("letter", Letter._base_manager.values_list("number", flat=True).iterator(), _letter_key),
    ):
        highest = {}
        for number in numbers:
            key = parse(number or "")
            if key:
                kab, year, seq = key
                highest[(kab, year)] = max(highest.get((kab, year), 0), seq)
        Counter._base_manager.bulk_create(
            [Counter(kind=kind, kab_code=kab, year=year, last=last) for (kab, year), last in highest.items()]
        )


def drop_seeded_counters(apps, schema_editor):
    # Going back leaves only ticket counters, which the old (kab_code, year) constraint allows.
    Counter = apps.get_model("cases", "Counter")
    Counter._base_manager.exclude(kind="ticket").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0003_ticket_counter_reopen_reason"),
        ("referrals", "0001_initial"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="ticketcounter", name="cases_ticket_counter_unique"),
        migrations.RenameModel(old_name="TicketCounter", new_name="Counter"),
        # Existing rows are ticket counters.
        migrations.AddField(
            model_name="counter",
            name="kind",
            field=models.CharField(
                choices=[("ticket", "ticket"), ("referral", "referral"), ("letter", "letter")],
                default="ticket",
                max_length=10,
            ),
            preserve_default=False,
        ),
        migrations.AddConstraint(
            model_name="counter",
            constraint=models.UniqueConstraint(fields=("kind", "kab_code", "year"), name="cases_counter_unique"),
        ),
        migrations.RunPython(seed_counters, drop_seeded_counters),
    ]
