"""The outbox page for Admin and Manajer: queue health, last errors, retry of failed messages."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from slrt.accounts.scoping import region_safe
from slrt.core.http import capability_required, is_htmx

from . import selectors, services
from .models import OutboxStatus


def _page(request) -> int:
    try:
        return max(1, min(int(request.GET.get("hal", "1")), 400))
    except ValueError:
        return 1


@region_safe  # the selectors read through Notification.objects.for_user (region of the case/referral)
@login_required
@capability_required("view_outbox")
@require_GET
def outbox(request):
    try:
        chosen = selectors.outbox_filters_from(request.GET, request.user)
    except ValidationError:
        chosen = OutboxStatus.FAILED  # an unknown status shows the Admin's queue, as a missing one
    status = selectors.ALL_STATUSES if chosen is None else chosen
    page = _page(request)
    rows, has_more = selectors.outbox_rows(request.user, chosen, page)
    context = {
        **selectors.outbox_summary(request.user),
        "rows": rows,
        "has_more": has_more,
        "page": page,
        "status": status,
        "statuses": [*OutboxStatus.choices, ("semua", _("Semua"))],
    }
    return render(request, "notifications/outbox.html", context)


@region_safe  # get_notification is scoped; outside the user's region is 404
@login_required
@capability_required("view_outbox")
@require_POST
def retry(request, pk):
    notification = selectors.get_notification(request.user, pk)
    try:
        notification = services.retry_now(request.user, notification)
    except services.RetryRefused as exc:
        if str(exc) == "invalid_recipient":
            error = _("Alamat penerima tidak valid; pesan ini tidak dapat dikirim ulang. Perbaiki data kontak warga.")
        else:
            error = _("Pesan ini tidak berstatus gagal (mungkin sudah dikirim ulang oleh pengguna lain).")
        if is_htmx(request):
            row = selectors.row_view(selectors.get_notification(request.user, pk))
            # 200: htmx swaps only successful responses, and the row itself carries the error.
            return render(request, "notifications/_row.html", {"n": row, "error": error})
        messages.error(request, error)
    else:
        if is_htmx(request):
            return render(request, "notifications/_row.html", {"n": selectors.row_view(notification), "queued": True})
        messages.success(request, _("Pesan dimasukkan kembali ke antrean dan akan dikirim pada putaran berikutnya."))
    return redirect(reverse("notifications:outbox") + "?status=" + OutboxStatus.FAILED)
