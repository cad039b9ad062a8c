"""Account management (/pengelolaan/): the list, a new account, changing role, region and agency,
deactivation and reactivation, password reset and unlocking. Thin: the forms parse, selectors
decide who may manage whom and read, services check again, write and audit. Staff accounts only,
no resident data. An account outside what the actor may manage answers 404 as if it did not exist.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from slrt.core.http import capability_required
from slrt.wilayah.names import region_labels

from . import hooks, selectors, services
from .forms import AccountFilterForm, AccountForm, ConfirmForm
from .roles import Role
from .scoping import region_safe

PAGE = 50


def _no_store(response):
    # A page showing a password handed over must not stay in a browser's or proxy's cache.
    response["Cache-Control"] = "no-store, private"
    return response


def _decorate(rows):
    """Names, not codes: the region's and the agency's names, the role's label, the lock-out."""
    rows = list(rows)
    labels = region_labels({u.region_id for u in rows if u.region_id})
    agencies = hooks.agency_directory() if any(u.agency_code for u in rows) else {}
    locked = selectors.locked_usernames([u.username for u in rows])
    for u in rows:
        u.region_label = labels.get(u.region_id, "")
        u.agency_name = agencies[u.agency_code].name if u.agency_code in agencies else u.agency_code
        u.is_locked = u.username in locked
    return rows


def _form_errors(form, exc: ValidationError):
    fields = {"region": "region", "role": "role", "agency": "agency", "username": "username",
              "full_name": "full_name", "email": "email", "password": "password1"}
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            name = fields.get(field)
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _account_form(request, *, data=None, initial=None, creating=True):
    return AccountForm(data, initial=initial, user=request.user, roles=selectors.manageable_roles(request.user),
                       agencies=selectors.agency_choices(request.user), creating=creating)


@region_safe  # selectors.account_list keeps to the accounts the actor may manage, in its scope
@login_required
@capability_required("manage_users")
@require_http_methods(["GET"])
def account_list(request):
    roles = selectors.manageable_roles(request.user)
    form = AccountFilterForm(request.GET or None, user=request.user, roles=roles)
    c = form.cleaned_data if form.is_valid() else {}
    status = c.get("status") or ""
    accounts = selectors.account_list(
        request.user, role=c.get("peran") or "", region_code=c.get("wilayah") or "",
        active={"aktif": True, "nonaktif": False}.get(status), q=(c.get("q") or "").strip(),
    )
    page = Paginator(accounts, PAGE).get_page(request.GET.get("hal"))
    query = request.GET.copy()
    query.pop("hal", None)
    return render(request, "accounts/manage/account_list.html", {
        "form": form, "page": page, "accounts": _decorate(page.object_list), "query": query.urlencode(),
        "is_admin": request.user.role == Role.ADMIN,
    }, status=200 if not form.errors else 422)


@region_safe  # the role and region given must be ones the actor manages (services.create_account)
@login_required
@capability_required("manage_users")
@require_http_methods(["GET", "POST"])
def account_create(request):
    form = _account_form(request, data=request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                user, password = services.create_account(
                    request.user, username=d["username"], role=d["role"], region_code=d["region"],
                    agency_code=d["agency"], full_name=d["full_name"], email=d["email"],
                    password=d["password1"] if d["first_login"] == "set" else "",
                )
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                one_time = d["first_login"] != "set"
                return _no_store(render(request, "accounts/manage/account_created.html", {
                    "account": _decorate([user])[0], "password": password if one_time else "",
                }, status=201))
        return render(request, "accounts/manage/account_form.html", {"form": form}, status=422)
    return render(request, "accounts/manage/account_form.html", {"form": form})


def _account_or_404(request, pk):
    target = selectors.managed_account(request.user, pk)
    if target is None:
        raise Http404
    return target


def _detail(request, target, form=None, status=200):
    if form is None:
        form = _account_form(request, creating=False, initial={
            "full_name": target.first_name, "email": target.email, "role": target.role,
            "region": target.region_id or "", "agency": target.agency_code,
        })
    return render(request, "accounts/manage/account_detail.html", {
        "account": _decorate([target])[0], "form": form, "confirm": ConfirmForm(),
        "may_reset": selectors.may_reset_password(request.user, target),
    }, status=status)


@region_safe  # managed_account: 404 for an account the actor may not manage
@login_required
@capability_required("manage_users")
@require_http_methods(["GET", "POST"])
def account_detail(request, pk):
    target = _account_or_404(request, pk)
    if request.method == "GET":
        return _detail(request, target)
    form = _account_form(request, data=request.POST, creating=False)
    if form.is_valid():
        d = form.cleaned_data
        try:
            changed = services.change_account(
                request.user, target, role=d["role"], region_code=d["region"], agency_code=d["agency"],
                full_name=d["full_name"], email=d["email"],
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            if changed:
                messages.success(request, _("Akun %(u)s disimpan.") % {"u": target.username})
            else:
                messages.info(request, _("Tidak ada perubahan."))
            return redirect("manage:account", pk=target.pk)
    return _detail(request, target, form=form, status=422)


@region_safe  # managed_account: 404 outside what the actor manages
@login_required
@capability_required("manage_users")
@require_POST
def account_deactivate(request, pk):
    target = _account_or_404(request, pk)
    confirm = ConfirmForm(request.POST)
    if not confirm.is_valid():
        messages.error(request, _("Centang konfirmasi untuk menonaktifkan akun."))
        return redirect("manage:account", pk=target.pk)
    try:
        services.deactivate_user(request.user, target)
    except PermissionDenied:
        raise Http404 from None
    messages.success(request, _("Akun %(u)s dinonaktifkan: tidak dapat masuk lagi, sesi dan token API-nya berakhir.")
                     % {"u": target.username})
    return redirect("manage:account", pk=target.pk)


@region_safe  # managed_account: 404 outside what the actor manages
@login_required
@capability_required("manage_users")
@require_POST
def account_reactivate(request, pk):
    target = _account_or_404(request, pk)
    try:
        services.reactivate_user(request.user, target)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Akun %(u)s aktif lagi.") % {"u": target.username})
    return redirect("manage:account", pk=target.pk)


@region_safe  # managed_account, then selectors.may_reset_password in the service
@login_required
@capability_required("manage_users")
@require_POST
def account_reset_password(request, pk):
    target = _account_or_404(request, pk)
    try:
        password, done = services.reset_password(request.user, target)
    except PermissionDenied:
        messages.error(request, _("Kata sandi akun nonaktif tidak dapat direset; aktifkan akunnya dulu."))
        return redirect("manage:account", pk=target.pk)
    return _no_store(render(request, "accounts/manage/password_reset_done.html",
                            {"account": target, "password": password, **done}))


@region_safe  # managed_account: 404 outside what the actor manages
@login_required
@capability_required("manage_users")
@require_POST
def account_unlock(request, pk):
    target = _account_or_404(request, pk)
    services.unlock_account(request.user, target)
    messages.success(request, _("Kunci masuk akun %(u)s dibuka; akun dapat masuk lagi.") % {"u": target.username})
    return redirect("manage:account", pk=target.pk)
