"""A safety scenario as data, and its result as the report records it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tools.verify.evidence import BuildEvidence
from tools.verify.observations import Observation
from tools.verify.verdicts import Verdict

if TYPE_CHECKING:
    from tools.verify.safety import Measure


@dataclass
class ScenarioResult:
    scenario: str
    description: str
    expected: str
    observed: str
    ok: bool
    compiled: list[str] = field(default_factory=list)
    reasons: dict[str, list[str]] = field(default_factory=dict)
    details: list[str] = field(default_factory=list)
    skipped: str = ""  # why the scenario did not run here (another platform's, for one)
    seconds: dict[str, float] = field(default_factory=dict)  # each build's, by its label

    @classmethod
    def skip(cls, scenario: str, description: str, expected: str, reason: str) -> ScenarioResult:
        """A scenario that does not apply here: no verdict, and the reason in the report."""
        return cls(scenario, description, expected, f"skipped: {reason}", True, skipped=reason)

    @classmethod
    def not_applicable(
        cls, scenario: str, description: str, expected: str, reason: str
    ) -> ScenarioResult:
        """A scenario the pyo3 tree under test cannot run (a prefix of the stack lacks what a
        later pull request adds): no verdict, "not applicable" and the reason in the report."""
        return cls(
            scenario,
            description,
            expected,
            f"not applicable: {reason}",
            True,
            skipped=f"not applicable: {reason}",
        )


@dataclass(frozen=True)
class Scenario:
    name: str
    what: str
    expected: str
    measure: Callable[[Measure], Observation]
    verdict: Callable[[Observation], Verdict]
    # Text the pyo3 series adds that the scenario's fixture uses (the definition of an API,
    # "pub fn build_env_interpreter("): a prefix of the stack without the pull request that
    # adds it cannot run the scenario (`prefixes.plan_prefixes`).
    needs: str = ""
    # False for a scenario that builds stock pyo3 only (an alternative to the series): it is
    # the same for every prefix of the stack, so the prefix phase does not repeat it.
    series: bool = True

    def result(self, obs: Observation) -> ScenarioResult:
        if obs.not_applicable:
            return ScenarioResult.skip(self.name, self.what, self.expected, obs.not_applicable)
        verdict = self.verdict(obs)
        evidence = obs.decisive or BuildEvidence(())
        details = [f"{key}: {value}" for key, value in obs.facts.items()]
        details += [f"{b.label} build {b.seconds:.1f}s" for b in obs.builds if b.seconds]
        return ScenarioResult(
            self.name,
            self.what,
            self.expected,
            verdict.observed,
            verdict.ok,
            compiled=list(evidence.compiled),
            reasons=evidence.reasons,
            details=details,
            seconds={b.label: b.seconds for b in obs.builds},
        )
