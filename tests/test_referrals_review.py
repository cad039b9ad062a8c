"""Referral rules found in review: a Mitra user sees only what was actually sent to its agency,
nothing moves on a closed case except a staff cancel, and a direct referral is never sent by
the same person who drafted it (four eyes)."""

import pytest
from django.utils import timezone

from slrt.cases.models import Case, CaseStatus
from slrt.core.exceptions import FourEyes, InvalidTransition
from slrt.referrals import selectors
from slrt.referrals.models import Referral, ReferralStatus
from slrt.referrals.selectors import actions_for
from tests.test_referrals_fixtures import (
    FIELDS,
    api_client,
    build_desk,
    client_for,
    draft,
    make_case,
    move,
    referral_in,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk():
    return build_desk()


# --- 1. a draft cancelled before it was sent never reaches the agency -------------------------


def test_mitra_never_sees_a_draft_cancelled_before_it_was_sent(desk):
    case, need = make_case(consent=False)  # the resident never agreed to sharing with agencies
    ref = move(draft(desk, case, need), "cancel", desk.bo, reason="Salah lembaga")
    assert ref.status == ReferralStatus.CANCELLED and ref.sent_at is None
    assert not Referral.objects.for_user(desk.mitra).filter(pk=ref.pk).exists()
    web = client_for(desk.mitra)
    assert ref.number not in web.get("/rujukan/masuk/").content.decode()
    assert ref.number not in web.get("/rujukan/masuk/", {"status": "dibatalkan"}).content.decode()
    assert web.get(f"/rujukan/{ref.pk}/").status_code == 404
    api = api_client(desk.mitra)
    response = api.get(f"/api/v1/referrals/{ref.pk}")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert ref.number not in {r["number"] for r in api.get("/api/v1/referrals").json()["items"]}
    # Staff of the region still see it.
    assert client_for(desk.bo).get(f"/rujukan/{ref.pk}/").status_code == 200


def test_mitra_still_sees_a_referral_cancelled_after_it_was_sent(desk):
    ref = move(referral_in(desk, ReferralStatus.SENT), "cancel", desk.bo, reason="Warga pindah")
    assert client_for(desk.mitra).get(f"/rujukan/{ref.pk}/").status_code == 200


# --- 2. a closed case freezes its referrals (except a staff cancel) ---------------------------


def _close(case):
    Case.objects.system().filter(pk=case.pk).update(status=CaseStatus.CLOSED, closed_at=timezone.now())


@pytest.mark.parametrize(
    "state,action",
    [
        (ReferralStatus.SENT, "accept"),
        (ReferralStatus.SENT, "reject"),
        (ReferralStatus.ACCEPTED, "start"),
        (ReferralStatus.ACCEPTED, "return"),
        (ReferralStatus.IN_SERVICE, "done"),
    ],
)
def test_agency_cannot_move_a_referral_of_a_closed_case(desk, state, action):
    ref = referral_in(desk, state)
    _close(ref.case)
    with pytest.raises(InvalidTransition) as exc:
        move(ref, action, desk.mitra, **FIELDS)
    assert "ditutup" in str(exc.value.message)
    ref.refresh_from_db()
    assert ref.status == state
    assert actions_for(desk.mitra, Referral.objects.system().select_related("case").get(pk=ref.pk)) == []


def test_staff_may_still_cancel_a_referral_of_a_closed_case(desk):
    ref = referral_in(desk, ReferralStatus.ACCEPTED)
    _close(ref.case)
    fresh = Referral.objects.system().select_related("case").get(pk=ref.pk)
    assert actions_for(desk.bo, fresh) == ["cancel"]
    ref = move(ref, "cancel", desk.bo, reason="Kasus sudah ditutup")
    assert ref.status == ReferralStatus.CANCELLED


def test_closed_case_refusal_over_the_api(desk):
    ref = referral_in(desk, ReferralStatus.SENT)
    _close(ref.case)
    response = api_client(desk.mitra).post(
        f"/api/v1/referrals/{ref.pk}/transitions",
        {"action": "accept", "version": ref.version},
        content_type="application/json",
    )
    assert response.status_code == 409 and response.json()["code"] == "invalid_transition"


# --- 3. four eyes on direct referrals ---------------------------------------------------------


@pytest.mark.parametrize("drafter", ["manajer", "koord"])
def test_a_decider_does_not_send_the_direct_referral_they_drafted(desk, drafter):
    actor = getattr(desk, drafter)
    ref = draft(desk, actor=actor)
    assert actions_for(actor, ref) == ["cancel"] and selectors.own_direct_draft(actor, ref)
    with pytest.raises(FourEyes) as exc:
        move(ref, "send", actor)
    assert (exc.value.status, exc.value.code) == (403, "four_eyes")
    assert "empat mata" in str(exc.value.message)
    ref.refresh_from_db()
    assert ref.status == ReferralStatus.DRAFT and ref.sent_at is None
    other = desk.manajer2 if drafter == "manajer" else desk.manajer
    assert actions_for(other, ref) == ["send", "cancel"] and not selectors.own_direct_draft(other, ref)
    assert move(ref, "send", other).status == ReferralStatus.SENT


def test_a_decider_may_send_a_referral_backed_by_their_own_approval(desk):
    ref = referral_in(desk, ReferralStatus.DRAFT, backed=True)
    assert ref.created_by == desk.manajer  # the approval drafted it
    assert move(ref, "send", desk.manajer).status == ReferralStatus.SENT


def test_web_hides_send_from_the_drafting_manajer_and_explains(desk):
    ref = draft(desk, actor=desk.manajer)
    client = client_for(desk.manajer)
    page = client.get(f"/rujukan/{ref.pk}/").content.decode()
    assert 'value="send"' not in page and "empat mata" in page
    response = client.post(f"/rujukan/{ref.pk}/aksi/", {"action": "send", "version": ref.version})
    assert response.status_code == 403 and "empat mata" in response.content.decode()
    assert 'value="send"' in client_for(desk.manajer2).get(f"/rujukan/{ref.pk}/").content.decode()


def test_api_refuses_the_drafter_sending_a_direct_referral(desk):
    ref = draft(desk, actor=desk.manajer)
    manajer = api_client(desk.manajer)
    assert manajer.get(f"/api/v1/referrals/{ref.pk}").json()["actions"] == ["cancel"]
    response = manajer.post(
        f"/api/v1/referrals/{ref.pk}/transitions",
        {"action": "send", "version": ref.version},
        content_type="application/json",
    )
    assert response.status_code == 403 and response.json()["code"] == "four_eyes"
    ok = api_client(desk.koord).post(
        f"/api/v1/referrals/{ref.pk}/transitions",
        {"action": "send", "version": ref.version},
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["status"] == ReferralStatus.SENT
