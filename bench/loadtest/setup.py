"""The load test's accounts: `python -m bench.loadtest.setup` (run by `make loadtest` before Locust).

Through the services a district admin uses (`accounts.services.create_user`,
`programs.catalogue.load_agencies`), in the benchmark district: N accounts per desk role at the
kab/kota, facilitators at the desas that hold the most people, and Mitra users for the agencies
the referrals go to. Idempotent (an account an earlier run made is kept).
Prints the accounts as JSON for the locustfile: usernames, roles and the one password, never an
id; every id a user acts on comes from the server's answers during the run.

The server under load runs with SLRT_2FA_ROLES= (no role requires a second factor): the load test
measures the desk's work, not an authenticator app; the sign-in it does is the password step.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

PASSWORD = "Sandi-Uji-Beban-2026"  # noqa: S105 - throwaway accounts in a throwaway database
# Agencies the back office refers to, one Mitra account group each (codes `<PREFIX>-<kab digits>`).
AGENCY_PREFIXES = ("RSUD", "DINKES", "DINSOS")
ROLES = ("front_office", "back_office", "manajer")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.loadtest.setup", description=__doc__.split("\n\n")[0])
    p.add_argument("--region", default="32.04")
    p.add_argument("--per-role", type=int, default=int(os.environ.get("LOADTEST_ACCOUNTS", "60")),
                   help="accounts per role (the Locust users of a role share them round-robin)")
    p.add_argument("--out", help="write the JSON here too")
    args = p.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "slrt.settings")
    import django

    django.setup()
    from django.db.models import Count

    from slrt.accounts.services import create_user
    from slrt.programs.catalogue import load_agencies
    from slrt.registry.models import Household

    kab = args.region
    agencies = load_agencies(kab)
    digits = kab.replace(".", "")
    codes = [f"{prefix}-{digits}" for prefix in AGENCY_PREFIXES]
    assert {a.code for a in agencies} >= set(codes), "the agency directory changed"
    # The desas with the most households: facilitators work where the people are.
    desas = [row["desa_code"] for row in Household.unscoped.filter(kab_code=kab)
             .values("desa_code").annotate(n=Count("id")).order_by("-n")[: max(1, args.per_role // 3)]]
    if not desas:
        raise SystemExit(f"no households in {kab}: build the district first (python -m bench.loadtest.data)")
    accounts: dict[str, list[dict]] = {}

    from slrt.accounts.models import User

    # An account made by an earlier run with the same role, region and agency is kept as it is
    # (hashing 300 passwords again would take minutes of the run).
    existing = {(u, r, g, a) for u, r, g, a in User.objects.filter(username__startswith="lt-")
                .values_list("username", "role", "region_id", "agency_code")}

    def make(key, role, region, agency=""):
        n = len(accounts.setdefault(key, [])) + 1
        username = f"lt-{key.replace('_', '-')}-{n:03d}"
        accounts[key].append({"username": username, "agency": agency})
        if (username, role, region, agency) in existing:
            return
        create_user(username=username, role=role, region_code=region, password=PASSWORD, agency_code=agency,
                    full_name=f"Uji Beban {key} {n}", check_password=False)

    for role in ROLES:
        for _i in range(args.per_role):
            make(role, role, kab)
    for i in range(args.per_role):
        make("fasilitator", "fasilitator", desas[i % len(desas)])
    for i in range(args.per_role):
        code = codes[i % len(codes)]
        make("mitra", "mitra", kab, agency=code)
    result = {"password": PASSWORD, "region": kab, "accounts": accounts}
    text = json.dumps(result, indent=1)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(text)
    print(f"load test accounts: {sum(len(v) for v in accounts.values())} in {kab} "
          f"({', '.join(f'{k} {len(v)}' for k, v in accounts.items())}); facilitators in {len(desas)} desas",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
