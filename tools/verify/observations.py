"""What a safety scenario measured, reduced to the facts its verdict reads.

A scenario's measure step runs real builds and returns an `Observation`; its verdict is a pure
function of that observation, so every verdict can be tested offline on recorded evidence.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from tools.verify.evidence import BuildEvidence


def describe(evidence: BuildEvidence) -> str:
    """`cached`, or `rebuild (<pyo3 crates>; <cargo's reasons>)` for a build's pyo3 chain."""
    chain = evidence.chain_compiled()
    if not chain:
        return "cached"
    reasons = sorted(
        {
            r
            for name in chain
            for r in evidence.reasons.get(name, [])
            if "dependency changed" not in r
        }
    )
    return f"rebuild ({', '.join(chain)}; {'; '.join(reasons) or 'no reason logged'})"


@dataclass(frozen=True)
class Build:
    """One build of a scenario."""

    label: str
    outcome: str
    exported: Mapping[str, str] = field(default_factory=dict)
    reasons: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    warnings: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    seconds: float = 0.0
    wheel: str = ""

    @classmethod
    def of(
        cls, label: str, evidence: BuildEvidence, *, seconds: float = 0.0, wheel: str = ""
    ) -> Build:
        return cls(
            label,
            describe(evidence),
            exported=dict(evidence.maturin_env),
            reasons={name: tuple(r) for name, r in evidence.reasons.items()},
            warnings={name: tuple(w) for name, w in evidence.warnings.items()},
            seconds=seconds,
            wheel=wheel,
        )

    @property
    def cached(self) -> bool:
        return self.outcome == "cached"

    @property
    def rebuilt(self) -> bool:
        return self.outcome.startswith("rebuild")

    def warned(self, package: str, *needles: str) -> list[str]:
        """The build script warnings of `package` that mention every needle."""
        return [w for w in self.warnings.get(package, ()) if all(n in w for n in needles)]


@dataclass(frozen=True)
class Observation:
    """Every build a scenario ran, in order, plus what it checked besides cargo's output."""

    builds: tuple[Build, ...] = ()
    imported: bool | None = None
    import_detail: str = ""
    facts: Mapping[str, str] = field(default_factory=dict)
    skipped: str | None = None  # could not run, though it should have: a failure
    failed: str | None = None  # a build that should have succeeded failed: how
    not_applicable: str | None = None  # another platform's scenario: reported as skipped
    discovery: str = "pyo3-ffi"  # the crate whose build script discovers the interpreter
    decisive: BuildEvidence | None = None

    def build(self, label: str) -> Build:
        for build in self.builds:
            if build.label == label:
                return build
        raise KeyError(f"no build labelled {label!r}")

    @property
    def last(self) -> Build:
        return self.builds[-1]
