"""How each state of each state machine looks on a page: one tone per state.

A tone is a CSS class in static/css/slrt.css (colour, border style and an icon), so that
rejected, done and cancelled never look alike and colour is never the only signal: the
badge always carries the state's own words and a shape-distinct icon.

Core knows the tones, not the machines: each app that owns a state machine registers its
table with `register_tones` from its AppConfig.ready() (e.g. slrt/cases/tones.py), and the
`status_badge` template tag (slrt_tags) looks it up here.
"""

# tone -> icon (decorative; the text says the state)
ICONS = {
    "draft": "○", "new": "●", "waiting": "→", "progress": "◐", "done": "✓",
    "rejected": "✕", "returned": "↩", "cancelled": "⊘", "conflict": "!",
}

# machine -> (its TextChoices, {state: tone}); filled by the apps at startup
MACHINES: dict = {}
_BY_MODEL: dict = {}  # model class -> machine


def register_tones(machine: str, model, choices, tones: dict) -> None:
    """The one registration point: `machine` names the state machine of `model`'s `status`
    field, whose states are `choices`; `tones` gives each state its tone (a key of ICONS)."""
    unknown = set(tones.values()) - set(ICONS)
    if unknown:
        raise ValueError(f"{machine}: unknown tones {sorted(unknown)}")
    MACHINES[machine] = (choices, dict(tones))
    _BY_MODEL[model] = machine


def machine_of(obj) -> str:
    return _BY_MODEL.get(type(obj), "")


def badge(machine: str, state: str) -> tuple[str, str, str]:
    """(tone, icon, label) of a state; an unknown state gets a plain badge with its label."""
    choices, tones = MACHINES.get(machine, (None, {}))
    tone = tones.get(state, "")
    label = state
    if choices is not None and state in choices.values:
        label = str(choices(state).label)
    return tone, ICONS.get(tone, ""), label
