from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from slrt.accounts.scoping import region_safe
from slrt.core.dbrouter import replica_reads
from slrt.registry.selectors.dashboard import dashboard
from slrt.reports.selectors import case_summary, home_queues


@region_safe  # the dashboard selector counts through Model.objects.for_user
@login_required
@replica_reads  # figures and queue counts: the read replica may serve them (read-your-writes)
def home(request):
    """The home page: the registry's figures, the user's work queues and the case summary."""
    user = request.user
    return render(request, "core/home.html", {
        **dashboard(user), "queues": home_queues(user), "summary": case_summary(user),
    })
