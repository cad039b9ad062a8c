"""Region scoping: the one place that decides which rows a user may see.

Deny by default at two layers:

* Data: every model holding personal data uses `ScopedManager` as `objects`. Its querysets
  refuse to run until `.for_user(user)` has filtered them to the caller's region (or
  `.system()` was called by code that acts for the system, such as the importer). A view that
  forgets to scope gets an exception, never someone else's data.
* Views: `RegionSafeViewMiddleware` refuses to serve any view not marked with `@region_safe`,
  so a new view must be written with scoping in mind before it answers at all.

A scoped model carries the region columns of `RegionColumns` (denormalised from its desa so
the filter is one indexed equality at any level) and says where they live with `scope_path`.
"""

from functools import wraps

from django.db import models
from django.db.models import Q

from slrt.wilayah.models import NATION_CODE, Level, ancestor_codes, level_of

from .roles import can

COLUMN_FOR_LEVEL = {
    Level.PROVINSI: "prov_code",
    Level.KABUPATEN: "kab_code",
    Level.KECAMATAN: "kec_code",
    Level.DESA: "desa_code",
}


class UnscopedQueryError(RuntimeError):
    """A scoped model was queried without applying the caller's region scope."""


class RegionColumns(models.Model):
    """Region code at every level, derived from the desa code; set with `set_region`."""

    prov_code = models.CharField(max_length=2, db_index=True, editable=False)
    kab_code = models.CharField(max_length=5, db_index=True, editable=False)
    kec_code = models.CharField(max_length=8, db_index=True, editable=False)
    desa_code = models.CharField(max_length=13, db_index=True, editable=False)

    class Meta:
        abstract = True

    def set_region(self, desa_code: str) -> None:
        self.prov_code, self.kab_code, self.kec_code, self.desa_code = region_columns(desa_code)


def region_columns(desa_code: str) -> tuple[str, str, str, str]:
    return tuple(ancestor_codes(desa_code))  # type: ignore[return-value]


def region_q(code: str | None, path: str = "") -> Q:
    """Rows inside region `code` (any level). None means nothing; the nation code, everything."""
    if not code:
        return Q(pk__in=[])
    if code == NATION_CODE:
        return Q()
    return Q(**{f"{path}{COLUMN_FOR_LEVEL[level_of(code)]}": code})


def user_q(user, model) -> Q:
    """The filter for everything `user` may see of `model`. Deny unless a rule grants."""
    if not (user and user.is_authenticated and user.is_active and can(user, model.scope_capability)):
        return Q(pk__in=[])
    # A model whose audience is not only regional (referrals: also the receiving agency)
    # narrows or widens the rule itself, still starting from deny.
    if hasattr(model, "scope_q"):
        return model.scope_q(user)
    return region_q(user.region_id, getattr(model, "scope_path", ""))


def in_scope(user, region_code: str) -> bool:
    """Whether a region (e.g. one asked for in a search filter) lies inside the user's scope."""
    if not user.region_id:
        return False
    return user.region_id == NATION_CODE or user.region_id in ancestor_codes(region_code)


class ScopedQuerySet(models.QuerySet):
    _scope_applied = False

    def for_user(self, user):
        qs = self.filter(user_q(user, self.model))
        qs._scope_applied = True
        return qs

    def system(self):
        """Unscoped access for code acting for the system (import, dedup jobs, migrations)."""
        qs = self._chain()
        qs._scope_applied = True
        return qs

    def _clone(self):
        clone = super()._clone()
        clone._scope_applied = self._scope_applied
        return clone

    def _require_scope(self):
        if not self._scope_applied:
            raise UnscopedQueryError(
                f"{self.model.__name__} queried without .for_user(user) or .system(); "
                "personal data must go through the region scope."
            )

    def _fetch_all(self):
        if self._result_cache is None:
            self._require_scope()
        super()._fetch_all()

    def iterator(self, *args, **kwargs):
        self._require_scope()
        return super().iterator(*args, **kwargs)

    def count(self):
        self._require_scope()
        return super().count()

    def exists(self):
        self._require_scope()
        return super().exists()

    def aggregate(self, *args, **kwargs):
        self._require_scope()
        return super().aggregate(*args, **kwargs)

    def update(self, **kwargs):
        self._require_scope()
        return super().update(**kwargs)

    def delete(self):
        self._require_scope()
        return super().delete()


ScopedManager = models.Manager.from_queryset(ScopedQuerySet)


class ScopedModel(RegionColumns):
    """A region-scoped record of personal data. Subclasses set `scope_capability`."""

    scope_capability: str

    # For Django internals (related managers, validation) and system code; never in views.
    unscoped = models.Manager()
    objects = ScopedManager()

    class Meta:
        abstract = True
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"


def region_safe(view):
    """Declare that a view applies the region scope to everything it reads (or reads nothing personal)."""
    if isinstance(view, type):
        original = view.as_view.__func__

        @classmethod
        @wraps(original)
        def as_view(cls, **initkwargs):
            func = original(cls, **initkwargs)
            func.region_safe = True
            return func

        view.as_view = as_view
        return view
    view.region_safe = True
    return view
