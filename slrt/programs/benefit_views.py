"""The page that edits a programme's benefit amount (reference data, like its rule). Thin: the
form reads the input, `services.benefits.save_benefit` validates, versions and audits."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from slrt.accounts.scoping import region_safe
from slrt.core.http import capability_required

from . import forms as f
from .selectors import benefits as benefit_selectors
from .selectors import catalogue as catalogue_selectors
from .services import benefits as benefit_services
from .services import catalogue as catalogue_services


@region_safe  # reference data
@login_required
@capability_required("edit_rules")
@require_http_methods(["GET", "POST"])
def benefit_edit(request, code):
    program = catalogue_selectors.get_program(code)
    # The catalogue is visible to all staff: a programme outside the editor's reach is 403.
    if not catalogue_services.may_edit_rule(request.user, program):
        raise PermissionDenied(_("Anda tidak boleh mengubah besaran manfaat program ini."))
    current = benefit_selectors.current_benefit(program)
    status = 200
    if request.method == "POST":
        form = f.BenefitForm(request.POST)
        if form.is_valid():
            c = form.cleaned_data
            try:
                benefit = benefit_services.save_benefit(
                    request.user, program, amount=c["amount"], unit=c["unit"], period=c["period"], note=c["note"],
                    based_on=c["version"])
            except ValidationError as exc:
                for field, errs in exc.message_dict.items():
                    form.add_error(field if field in form.fields and field != "version" else None, errs)
                status = 409 if "version" in exc.message_dict else 400
            else:
                messages.success(request, _("Besaran manfaat %(p)s disimpan sebagai versi %(v)s.")
                                 % {"p": program.label, "v": benefit.version})
                return redirect("programs:detail", code=program.code)
        else:
            status = 400
    else:
        form = f.BenefitForm(initial={
            "amount": benefit_selectors.rupiah(current.amount)[2:] if current else "",
            "unit": current.unit if current else program.target_unit,
            "period": current.period if current else "",
            "version": current.version if current else 0,
        })
    return render(request, "programs/benefit_edit.html",
                  {"program": program, "form": form, "current": current,
                   "current_text": benefit_selectors.describe(current)}, status=status)
