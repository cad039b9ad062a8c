"""The audit log page (issue 13, point 5): for Admin (`view_audit_log`), filtered by resident,
actor, action, date range and region, paginated, each row in names. Thin: `audit_log` reads.

A NIK is a personal term: the form POSTs it and the page's address carries only the session key
of `core.search_terms` (`?s=`), never the number. The person page links here with the person's id
(`?orang=`), which is not personal. Every page view writes its own audit row.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from slrt.accounts.scoping import region_safe
from slrt.core.http import capability_required
from slrt.core.search_terms import Search
from slrt.registry.tables import show_person_name
from slrt.wilayah.forms import RegionInput

from . import audit_log as log

PAGE_SIZE = 50
GET_FIELDS = tuple(f for f in log.FIELDS if f not in log.PERSONAL_FIELDS)


@region_safe  # audit_log: events of the viewer's region; a resident only through Person.objects.for_user
@login_required
@capability_required("view_audit_log")
@require_http_methods(["GET", "POST"])
def audit_log_page(request):
    search = Search(request, log.PERSONAL_FIELDS + GET_FIELDS, reverse("audit_log:list"), get_fields=GET_FIELDS)
    if search.redirect is not None:
        return search.redirect
    params = search.data if search.data is not None else QueryDict()
    errors, filters = {}, None
    try:
        filters = log.audit_log_filters_from(params, request.user)
    except ValidationError as exc:
        errors = {k: v[0] for k, v in exc.message_dict.items()}
    rows, page = [], None
    if filters is not None:
        page = Paginator(log.audit_log(request.user, filters), PAGE_SIZE).get_page(search.page)
        rows = log.audit_rows(request.user, page.object_list)
    log.record_audit_log_view(request.user, filters, count=len(rows), page=page.number if page else 1,
                              people=dict.fromkeys(i for r in rows for i in r["people_ids"]))
    # Paging keeps the filters: the session key for the POSTed ones, the plain ones as they came.
    keep = QueryDict(mutable=True)
    if search.key:
        keep["s"] = search.key
    for name in GET_FIELDS:
        if name in request.GET and request.GET.get(name):
            keep[name] = request.GET.get(name)[:200]
    subject = filters.people[0] if filters is not None and len(filters.people) == 1 else None
    values = {name: params.get(name, "") for name in GET_FIELDS}
    response = render(request, "privacy/audit_log.html", {
        "rows": rows, "page": page, "errors": errors, "values": values,
        "nik_given": bool(params.get("nik")),
        "keep": keep.urlencode(),
        "subject_name": show_person_name(request.user, subject.nama) if subject is not None else "",
        "actors": [(u.pk, log.actor_label(u)) for u in log.actors_for(request.user)[:500]],
        "actions": log.action_choices(),
        "region_box": RegionInput().render("wilayah", values["wilayah"], {"id": "f-wilayah"}),
    }, status=400 if errors else 200)
    return search.finish(response)
