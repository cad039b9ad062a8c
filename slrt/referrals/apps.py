from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "slrt.referrals"
    verbose_name = _("Rujukan")

    def ready(self):
        from slrt.cases import hooks as case_hooks
        from slrt.cases.timeline import register_event_kinds
        from slrt.notifications.jobs import register_job

        from .escalation import escalate_overdue
        from .models import ReferralStatus
        from .selectors import letter_access, need_services
        from .services import draft_referral_system
        from .timeline import EVENT_TEXT

        register_job("escalation", escalate_overdue, label="escalated", every=60)
        # A case's needs are handled through referrals, the case's timeline tells of them, an
        # approved agency service becomes a referral, a Mitra user reads its Surat Rujukan.
        case_hooks.on_need_services(need_services)
        case_hooks.on_recommendation_approved(draft_referral_system)
        case_hooks.on_letter_access(letter_access)
        register_event_kinds(EVENT_TEXT, ReferralStatus)

        from . import tones

        tones.register()  # its states' badge tones (slrt.core.status)
