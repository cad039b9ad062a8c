from django.urls import include, path
from django.views.i18n import set_language

from slrt.accounts.scoping import region_safe
from slrt.api.api import api
from slrt.cases.decision_views import verify_letter
from slrt.core.health import readyz
from slrt.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),  # readiness: database, queue, disk (core.health)
    path("i18n/setlang/", region_safe(set_language), name="set_language"),
    path("api/v1/", api.urls),
    path("akun/", include("slrt.accounts.urls")),
    path("wilayah/", include("slrt.wilayah.urls")),
    path("registri/", include("slrt.registry.urls")),
    path("program/", include("slrt.programs.urls")),
    path("layanan/", include("slrt.cases.urls")),
    path("rujukan/", include("slrt.referrals.urls")),
    path("notifikasi/", include("slrt.notifications.urls")),
    path("status/", include("slrt.cases.public_urls")),
    path("lapangan/", include("slrt.fieldwork.urls")),
    path("usulan/", include("slrt.updates.urls")),
    path("privasi/", include("slrt.privacy.urls")),
    path("audit/", include("slrt.privacy.audit_urls")),
    path("pengelolaan/", include("slrt.accounts.manage_urls")),
    path("dasbor/", include("slrt.reports.dashboard_urls")),
    path("laporan/", include("slrt.reports.monthly_urls")),
    path("ekspor/", include("slrt.exports.urls")),
    path("v/<str:token>", verify_letter, name="verify_letter"),
    path("", include("slrt.fieldwork.openrosa.urls")),
    path("", include("slrt.reports.urls")),
]

# The app's own error pages (JSON under /api/); never Django's debug page, DEBUG is off.
handler404 = "slrt.core.errors.not_found"
handler403 = "slrt.core.errors.forbidden"
handler500 = "slrt.core.errors.server_error"
