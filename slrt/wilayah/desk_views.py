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
from .desk_forms import DeskNameForm, LetterheadForm, NewDeskForm, SignatoryForm


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


@region_safe  # desks.create_* check the region lies inside the user's reach
@login_required
@capability_required("manage_letterhead")
@require_http_methods(["GET", "POST"])
def desk_new(request, kind):
    if kind not in (desks.SECRETARIAT, desks.PUSKESOS):
        raise Http404
    form = NewDeskForm(request.POST or None, user=request.user, kind=kind)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        create = desks.create_puskesos if kind == desks.PUSKESOS else desks.create_secretariat
        try:
            desk = create(request.user, d["region"], name=d["name"], address=d["address"], phone=d["phone"],
                          email=d["email"])
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("%(desk)s dibuat.") % {"desk": desk.name})
            return redirect("wilayah:desk_edit", kind=kind, pk=desk.pk)
    return render(request, "wilayah/desk_new.html", {"form": form, "kind": kind},
                  status=422 if form.errors else 200)


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
    name_form = DeskNameForm(initial={"name": desk.name})
    action = request.POST.get("action", "")
    if request.method == "POST":
        try:
            if action == "rename":
                name_form = DeskNameForm(request.POST)
                if name_form.is_valid():
                    desks.update_desk_name(request.user, desk, name=name_form.cleaned_data["name"])
                    messages.success(request, _("Nama kantor disimpan."))
                    return redirect("wilayah:desk_edit", kind=kind, pk=pk)
            elif action in ("deactivate", "reactivate") and kind == desks.PUSKESOS:
                desks.set_puskesos_active(request.user, desk, action == "reactivate")
                messages.success(request, _("Puskesos %(desk)s dinonaktifkan: kasus baru di desanya dicatat di "
                                            "sekretariat.") % {"desk": desk.name} if action == "deactivate"
                                 else _("Puskesos %(desk)s aktif lagi.") % {"desk": desk.name})
                return redirect("wilayah:desk_edit", kind=kind, pk=pk)
            elif action == "letterhead":
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
            target = {"letterhead": letterhead_form, "rename": name_form}.get(action, signatory_form)
            if action in ("deactivate", "reactivate"):
                messages.error(request, " ".join(exc.messages))
            else:
                _add_errors(target, exc)
    return render(request, "wilayah/desk_edit.html", {
        "desk": desk, "kind": kind, "letterhead_form": letterhead_form, "signatory_form": signatory_form,
        "name_form": name_form,
        "signatories": list(desks.signatories_of(desk)),
    })
