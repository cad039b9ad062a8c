"""Programme matching for one household: received, eligible, not eligible, overlaps; each explained.

Reads the household through `for_user`, so it works only inside the caller's scope (404 outside).
"""

import datetime as dt
from dataclasses import dataclass, field

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from slrt.registry.models import Household, Person, ProgramParticipation

from .. import rules
from ..catalogue import REGISTRY_GROUPS
from .catalogue import current_rule, list_programs

NATIONAL_PACKAGE = {"PKH", "BPNT", "PIP"}


@dataclass
class Match:
    program: object
    rule_version: int | None
    eligible: bool
    receiving: bool
    lines: list = field(default_factory=list)

    @property
    def code(self):
        return self.program.code


@dataclass
class GroupMatch:
    """A registry programme whose components share one code (PKH), found as one: the registry
    says the family receives it, and it fits none of the components. One finding, as the batch
    targeting counts it once; each component still says which of its criteria fail."""

    group: str  # the registry code, e.g. PKH
    name: str
    components: list  # Match per component, none eligible
    eligible: bool = False
    receiving: bool = True
    rule_version: None = None

    @property
    def code(self):
        return self.group

    @property
    def program(self):
        return self.components[0].program

    @property
    def lines(self):
        return [
            rules.Line(
                m.code,
                False,
                f"{m.program.label}: " + "; ".join(line.text for line in m.lines if not line.passed),
            )
            for m in self.components
        ]


@dataclass
class Overlap:
    kind: str  # "cash" (two cash transfers) | "exclusive" (a rule excludes what is received)
    programs: list[str]
    text: str


@dataclass
class Assessment:
    household: object
    ref: dt.date
    received: list = field(default_factory=list)  # Match, receiving (eligible or not)
    eligible_not_received: list = field(default_factory=list)
    received_not_eligible: list = field(default_factory=list)
    not_eligible: list = field(default_factory=list)
    overlaps: list = field(default_factory=list)
    registry_codes: list = field(default_factory=list)  # what the registry says the household receives

    @property
    def matches(self):
        return self.received + self.eligible_not_received + self.not_eligible


def facts_for(household) -> rules.Facts:
    """System read of one household's facts (the caller has already checked scope)."""
    members = list(Person.objects.system().filter(household=household, is_active=True))
    codes = set(
        ProgramParticipation.objects.filter(person__in=members, active=True).values_list("program_code", flat=True)
    )
    return rules.Facts.of_household(household, members, codes)


def assess_facts(household, facts: rules.Facts, ref: dt.date | None = None) -> Assessment:
    ref = ref or timezone.localdate()
    result = Assessment(household=household, ref=ref, registry_codes=sorted(facts.programs))
    received_programs = []
    matches = []
    for program in list_programs():
        rule = current_rule(program)
        if rule is None:
            continue
        eligible = rules.evaluate(rule.criteria, facts, ref)
        receiving = bool(program.registry_code) and program.registry_code.upper() in facts.programs
        lines = rules.explain(rule.criteria, facts, ref, program.label)
        matches.append((Match(program, rule.version, eligible, receiving, lines), rule))
    # Components sharing a registry code (PKH): receiving the code is justified by any component.
    justified = {m.program.registry_code.upper() for m, _r in matches if m.receiving and m.eligible}
    shared = _shared_codes([m.program for m, _r in matches])
    groups = {}
    for match, rule in matches:
        code = match.program.registry_code.upper()
        if match.receiving and (match.eligible or code not in justified):
            received_programs.append((match.program, rule))
            if not match.eligible and code in shared:
                if code not in groups:
                    groups[code] = GroupMatch(code, REGISTRY_GROUPS.get(code, code), [])
                    result.received.append(groups[code])
                    result.received_not_eligible.append(groups[code])
                groups[code].components.append(match)
                continue
            result.received.append(match)
            if not match.eligible:
                result.received_not_eligible.append(match)
        elif match.eligible:
            result.eligible_not_received.append(match)
        else:
            result.not_eligible.append(match)
    result.overlaps = _overlaps(received_programs, facts)
    return result


def _shared_codes(programs) -> set[str]:
    """Registry codes that several programmes share (the components of PKH)."""
    seen, shared = set(), set()
    for program in programs:
        code = program.registry_code.upper()
        if code:
            (shared if code in seen else seen).add(code)
    return shared


def program_eligibility(household, program, ref: dt.date | None = None) -> Match | None:
    """One programme's current rule against one household (already read in scope), explained per
    criterion; None when the programme has no rule (nothing to match)."""
    rule = current_rule(program)
    if rule is None or household is None:
        return None
    ref = ref or timezone.localdate()
    facts = facts_for(household)
    receiving = bool(program.registry_code) and program.registry_code.upper() in facts.programs
    return Match(
        program,
        rule.version,
        rules.evaluate(rule.criteria, facts, ref),
        receiving,
        rules.explain(rule.criteria, facts, ref, program.label),
    )


def _overlaps(received, facts) -> list[Overlap]:
    overlaps = []
    # The national package (PKH with Sembako and PIP) is designed to be received together, so it
    # counts as one cash source; any other cash transfer on top of it (BLT Dana Desa, zakat, CSR)
    # is the double aid the desk must see. PKH components share a code and count once.
    sources = {}
    for program, _rule in received:
        if program.cash:
            code = program.registry_code.upper()
            sources.setdefault("PUSAT" if code in NATIONAL_PACKAGE else code, set()).add(code)
    if len(sources) > 1:
        codes = sorted(c for group in sources.values() for c in group)
        overlaps.append(
            Overlap(
                "cash",
                codes,
                _("Keluarga menerima bantuan tunai dari lebih dari satu sumber: %(p)s. Pastikan bantuan tidak ganda.")
                % {"p": ", ".join(codes)},
            )
        )
    for program, rule in received:
        for c in rule.criteria:
            if c["field"] == "menerima" and c["op"] == "not_in":
                clash = sorted(set(c["value"]) & facts.programs)
                if clash:
                    overlaps.append(
                        Overlap(
                            "exclusive",
                            [program.registry_code.upper(), *clash],
                            _("%(p)s tidak boleh diterima bersama %(q)s, tetapi keluarga menerima keduanya.")
                            % {"p": program.label, "q": ", ".join(clash)},
                        )
                    )
    return overlaps


def assess_household(user, household) -> Assessment:
    """The assessment of a household the user may see (a Household or its id); 404 otherwise."""
    pk = household.pk if isinstance(household, Household) else household
    try:
        household = Household.objects.for_user(user).get(pk=pk)
    except (Household.DoesNotExist, ValueError, TypeError):
        raise Http404
    return assess_facts(household, facts_for(household))
