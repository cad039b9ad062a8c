"""Refusals of the service desk's services, each with an HTTP status and a
machine-readable code so the web views and the API answer the same way."""


class DeskError(Exception):
    status = 400
    code = "error"

    def __init__(self, message):
        self.message = message
        super().__init__(str(message))


class Forbidden(DeskError):
    """The caller's role may not take this action (403)."""

    status, code = 403, "forbidden"


class FourEyes(Forbidden):
    """Nobody decides their own draft."""

    code = "four_eyes"


class DecisionRequired(Forbidden):
    """A referral without an approved recommendation is sent only by someone who decides services."""

    code = "decision_required"


class InvalidTransition(DeskError):
    """The record is not in a state that allows the action (409)."""

    status, code = 409, "invalid_transition"


class ConsentRequired(DeskError):
    """The resident did not consent to their data being shared with agencies (409)."""

    status, code = 409, "consent_required"
