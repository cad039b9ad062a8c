"""The registry's extension point for a release imported runs inside the import's transaction:
a handler that fails before or after the merge rolls the whole import back (issue 10)."""

import pytest

from slrt.registry import hooks
from slrt.registry.models import HouseholdAppearance, ImportStatus, Person, Release
from tests.test_import import person, run, write_csv

pytestmark = pytest.mark.django_db


class HandlerFailed(Exception):
    pass


@pytest.fixture
def extra_handler():
    """Register one more handler for a test, and take it away afterwards."""
    added = []

    def register(fn):
        hooks.on_release_imported(fn)
        added.append(fn)

    yield register
    for fn in added:
        hooks._release_imported.remove(fn)


def test_the_updates_app_is_registered_on_a_release_imported():
    from slrt.updates.reconcile import settle_imported_release

    assert settle_imported_release in hooks._release_imported


def test_a_handler_sees_the_release_and_its_after_merge_step_sees_the_people(tmp_path, extra_handler):
    seen = {}

    def handler(release_import):
        seen["before"] = (release_import.release.pk, Person.objects.system().count())
        return lambda: seen.setdefault("after", Person.objects.system().count())

    extra_handler(handler)
    job = run(write_csv(tmp_path / "r.csv", [person(1), person(2, kk_no=2)]))
    assert job.status == ImportStatus.DONE
    assert seen == {"before": (Release.objects.get().pk, 0), "after": 2}


@pytest.mark.parametrize("step", ["before the merge", "after the merge"])
def test_a_failing_handler_rolls_the_whole_import_back(tmp_path, extra_handler, step):
    def handler(release_import):
        if step == "before the merge":
            raise HandlerFailed

        def after():
            assert Person.objects.system().count() == 2  # merged, not yet committed
            raise HandlerFailed

        return after

    extra_handler(handler)
    with pytest.raises(HandlerFailed):
        run(write_csv(tmp_path / "r.csv", [person(1), person(2, kk_no=2)]))
    assert not Person.objects.system().exists()
    assert not HouseholdAppearance.objects.exists()
    assert not Release.objects.exists()
    from slrt.registry.models import ImportJob

    assert ImportJob.objects.get().status == ImportStatus.FAILED


def test_a_handler_registered_twice_runs_once(tmp_path, extra_handler):
    """AppConfig.ready() may run more than once (tests); the import must not settle proposals twice."""
    calls = []

    def handler(release_import):
        calls.append(release_import.release.pk)

    extra_handler(handler)
    hooks.on_release_imported(handler)
    run(write_csv(tmp_path / "r.csv", [person(1)]))
    assert len(calls) == 1
