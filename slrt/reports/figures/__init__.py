"""Every figure of the office (issue 13): one function per dashboard section, each taking a
`Scope` and answering one section dict (`base.py`). `SECTIONS` is their order on the dashboard
and in the monthly report; each module registers its own functions here."""

from .base import Scope, resolve_region  # noqa: F401

SECTIONS: list[tuple[str, str]] = [
    # (section key, "module:function") — imported lazily so one failing section names itself.
    ("intake", "slrt.reports.figures.intake:intake"),
    ("handling", "slrt.reports.figures.intake:handling"),
    ("decisions", "slrt.reports.figures.intake:decisions"),
    ("referrals", "slrt.reports.figures.referrals:referrals"),
    ("aid", "slrt.reports.figures.aid:aid_on_target"),
    ("registry_loop", "slrt.reports.figures.referrals:registry_loop"),
    ("fieldwork", "slrt.reports.figures.referrals:fieldwork"),
]


def section_function(key: str):
    from importlib import import_module

    target = dict(SECTIONS)[key]
    module, name = target.split(":")
    return getattr(import_module(module), name)


def dashboard_figures(scope: Scope, keys=None) -> list[dict]:
    """The sections asked for (all by default), in dashboard order."""
    return [section_function(key)(scope) for key, _target in SECTIONS if keys is None or key in keys]
