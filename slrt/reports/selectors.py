"""The home page's work queues per role, assembled from the queue registries each app declares
in its selectors (core.queues), and the read-only case summary per status.
"""

from slrt.accounts.roles import Role, can
from slrt.cases.models import CaseStatus
from slrt.cases.selectors import CASE_QUEUES, CaseFilters, list_cases
from slrt.fieldwork.selectors import SUBMISSION_QUEUES, VISIT_QUEUES
from slrt.notifications.selectors import NOTIFICATION_QUEUES
from slrt.privacy.selectors import PRIVACY_QUEUES
from slrt.referrals.selectors import INBOX_QUEUES, REFERRAL_QUEUES

# Each role's home starts with its own work: (queue registry, queue name), in the order shown.
# The registries live in each app's selectors; the card's number is `queue.count(user)` and its
# link opens the list with `?antrian=`, which starts from the very same queryset.
HOME_QUEUES: dict[str, list[tuple[dict, str]]] = {
    Role.FRONT_OFFICE: [(CASE_QUEUES, "hari_ini"), (CASE_QUEUES, "menunggu_asesmen"), (PRIVACY_QUEUES, "terbuka")],
    Role.BACK_OFFICE: [(CASE_QUEUES, "menunggu_asesmen"), (CASE_QUEUES, "tindak_lanjut"),
                       (REFERRAL_QUEUES, "terlambat"), (PRIVACY_QUEUES, "terbuka")],
    Role.MANAJER: [(CASE_QUEUES, "menunggu_keputusan"), (REFERRAL_QUEUES, "draf_langsung"),
                   (REFERRAL_QUEUES, "terlambat"), (SUBMISSION_QUEUES, "konflik"), (NOTIFICATION_QUEUES, "gagal"),
                   (PRIVACY_QUEUES, "lewat_tenggat")],
    Role.KOORDINATOR_PUSKESOS: [(CASE_QUEUES, "menunggu_keputusan"), (REFERRAL_QUEUES, "draf_langsung"),
                                (REFERRAL_QUEUES, "terlambat"), (CASE_QUEUES, "tindak_lanjut"),
                                (PRIVACY_QUEUES, "terbuka")],
    Role.FASILITATOR: [(VISIT_QUEUES, "terlambat"), (VISIT_QUEUES, "saya"), (CASE_QUEUES, "hari_ini")],
    Role.SUPERVISOR: [(SUBMISSION_QUEUES, "menunggu_tinjauan"), (SUBMISSION_QUEUES, "konflik")],
    Role.MITRA: [(INBOX_QUEUES, "baru"), (INBOX_QUEUES, "terlambat")],
    Role.DINSOS: [(REFERRAL_QUEUES, "terlambat")],
    Role.ADMIN: [(NOTIFICATION_QUEUES, "gagal")],
}
# Roles whose home also shows the region's cases per status (a read-only summary).
SUMMARY_ROLES = {Role.DINSOS, Role.MANAJER, Role.ADMIN}


def home_queues(user) -> list[dict]:
    """The cards at the top of the user's home: label, number, link, warn flag."""
    cards = []
    for registry, name in HOME_QUEUES.get(user.role, []):
        queue = registry[name]
        if queue.capability and not can(user, queue.capability):
            continue
        n = queue.count(user)
        cards.append({"key": name, "label": queue.label, "hint": queue.hint, "n": n, "url": queue.url(),
                      "warn": queue.warn and n > 0})
    return cards


def case_summary(user) -> list[dict]:
    """Cases per status for the summary roles; each count is the case list's own query."""
    from django.urls import reverse

    if user.role not in SUMMARY_ROLES or not can(user, "view_cases"):
        return []
    return [
        {"label": label, "n": list_cases(user, CaseFilters(status=status)).count(),
         "url": f"{reverse('cases:list')}?status={status}"}
        for status, label in CaseStatus.choices
    ]
