"""Desk settings: each secretariat's and Puskesos post's letterhead and signatories.

Thin: the forms parse, `wilayah.desks` checks scope, validates, writes and audits.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from slrt.accounts.scoping import region_safe
from slrt.core.http import capability_required

from . import desks
from .desk_forms import LetterheadForm, SignatoryForm


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@region_safe  # desks_for_user keeps the secretariats and posts inside the user's scope
@login_required
@capability_required("manage_letterhead")
@require_http_methods(["GET"])
def desk_list(request):
    secretariats = list(desks.secretariats_for_user(request.user).prefetch_related("signatories"))
    posts = list(desks.puskesos_for_user(request.user).prefetch_related("signatories"))
    return render(request, "wilayah/desk_list.html", {"secretariats": secretariats, "posts": posts})


@region_safe  # the desk is fetched through desks.desk_for_user (404 outside the scope)
@login_required
@capability_required("manage_letterhead")
@require_http_methods(["GET", "POST"])
def desk_edit(request, kind, pk):
    desk = desks.desk_for_user(request.user, kind, pk)
    if desk is None:
        raise Http404
    initial = {"address": desk.address, "phone": desk.phone, "email": desk.email}
    letterhead_form, signatory_form = LetterheadForm(initial=initial), SignatoryForm()
    action = request.POST.get("action", "")
    if request.method == "POST":
        try:
            if action == "letterhead":
                letterhead_form = LetterheadForm(request.POST, request.FILES)
                if letterhead_form.is_valid():
                    data = letterhead_form.cleaned_data
                    desks.update_letterhead(request.user, desk, address=data["address"], phone=data["phone"],
                                            email=data["email"], logo=data["logo"] or None,
                                            remove_logo=data["remove_logo"])
                    messages.success(request, _("Kop surat %(desk)s disimpan.") % {"desk": desk.name})
                    return redirect("wilayah:desk_edit", kind=kind, pk=pk)
            elif action == "add_signatory":
                signatory_form = SignatoryForm(request.POST)
                if signatory_form.is_valid():
                    data = signatory_form.cleaned_data
                    signatory = desks.add_signatory(request.user, desk, name=data["name"], title=data["title"],
                                                    nip=data["nip"], is_default=data["is_default"])
                    messages.success(request, _("%(name)s ditambahkan sebagai penanda tangan.") % {
                        "name": signatory.name})
                    return redirect("wilayah:desk_edit", kind=kind, pk=pk)
            elif action in ("make_default", "remove"):
                signatory = desks.signatory_for_user(request.user, request.POST.get("signatory"))
                if signatory is None or desks.desk_for_user(request.user, kind, pk) != (
                        signatory.secretariat or signatory.puskesos):
                    raise Http404
                if action == "make_default":
                    desks.make_default_signatory(request.user, signatory)
                    messages.success(request, _("%(name)s kini menandatangani surat kantor ini.") % {
                        "name": signatory.name})
                else:
                    desks.remove_signatory(request.user, signatory)
                    messages.success(request, _("%(name)s dihapus dari penanda tangan.") % {"name": signatory.name})
                return redirect("wilayah:desk_edit", kind=kind, pk=pk)
        except ValidationError as exc:
            _add_errors(letterhead_form if action == "letterhead" else signatory_form, exc)
    return render(request, "wilayah/desk_edit.html", {
        "desk": desk, "kind": kind, "letterhead_form": letterhead_form, "signatory_form": signatory_form,
        "signatories": list(desks.signatories_of(desk)),
    })
