"""Primed target dirs: a fixture built once (cold), kept in the tool cache, and copied for every
warm build that should start from it, as a CI cache restored from another job would be.

A prime is reused only when everything that decides the build is what it was: those inputs are
hashed into its key (`prime_inputs`, `prime_key`). Cargo judges freshness by absolute paths and
file modification times, so a prime is built at one stage path (part of its key), stored with
the rendered project next to its target dir, and copied back to that same stage path with every
mtime kept (`shutil.copy2`); the pyo3 trees are stable paths in the cache already.

A prime may be seeded: its build then starts from a copy of another prime's target dir (its
`seed`, made first) instead of an empty one, as a CI cache restored from a job of another
configuration would, and cargo recompiles whatever that configuration changes. The copy forgets
every artifact of the fixture's own package (`seed.forget_packages`): its path relative to the
workspace is the same at every stage, so cargo would otherwise judge it by the seed's mtimes.
What the seeded build leaves is what a build of its own configuration leaves: every unit cargo
did not recompile has the fingerprint that configuration gives it. Its build is not a cold one,
so the cold figure of a seeded prime is its origin's (the unseeded prime at the root of its
seeds), and the seed's key is part of its key.

A prime is written to a partial folder, its stamp (`prime.json`) last, then renamed into place:
an interrupted run leaves a partial folder, never a prime that would be reused.
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import json
import os
import shutil
import sys
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tools.verify.artifacts import Variant
from tools.verify.evidence import parse_cargo_output
from tools.verify.fixtures import Fixture, FixtureName
from tools.verify.frontends import BuildRun, Frontend, build_wheel
from tools.verify.seed import forget_packages, local_packages

if TYPE_CHECKING:
    from tools.verify.context import VerifyContext

# Bump when what a prime holds or how it is built changes: older primes are then not reused.
PRIME_FORMAT = 1
STAMP = "prime.json"
LOG = "build.log"
PARTS = ("project", "target")
# Primes not used for this long are removed when a verify starts (their stamp's mtime is the
# last use); partial folders of interrupted runs after a day.
KEEP_UNUSED_DAYS = 30
KEEP_PARTIAL_DAYS = 1


@dataclass(frozen=True, kw_only=True)
class PrimeSpec:
    """What is primed: the fixture built by `frontend` with maturin and pyo3 variants, any
    extra environment and frontend options, at the stage folder `stage` (a scenario's name, or
    "matrix"). `facts` are what else decides that build and is named by neither: the identity
    of an interpreter or the content of a file that the environment names by path. `seed` is
    the prime whose target dir the build starts from (None: an empty one, a cold build)."""

    maturin: Variant
    pyo3: Variant
    fixture: FixtureName
    frontend: Frontend
    stage: str = "matrix"
    extra_env: tuple[tuple[str, str], ...] = ()
    frontend_args: tuple[str, ...] = ()
    facts: tuple[tuple[str, str], ...] = ()
    seed: PrimeSpec | None = None


def prime_inputs(
    spec: PrimeSpec,
    *,
    stage_path: Path,
    maturin_wheels: str,
    pyo3_tree: str,
    fixture_files: str,
    python: str,
    toolchain: str,
    frontend_version: str,
    seed_key: str = "",
) -> dict[str, str]:
    """Everything that decides a prime's build, as text (the key hashes it); `seed_key` is the
    key of the prime it starts from, when it is seeded."""
    return {
        "maturin": f"{spec.maturin} {maturin_wheels}",
        "pyo3": f"{spec.pyo3} {pyo3_tree}",
        "fixture": f"{spec.fixture} {fixture_files}",
        "python": python,
        "toolchain": toolchain,
        "frontend": f"{spec.frontend} {frontend_version}",
        "stage": str(stage_path),
        "env": json.dumps(sorted(spec.extra_env)),
        # only when set, so that the keys of the primes without them stay what they were
        **({"frontend args": json.dumps(spec.frontend_args)} if spec.frontend_args else {}),
        **({"facts": json.dumps(sorted(spec.facts))} if spec.facts else {}),
        **({"seed": seed_key} if seed_key else {}),
    }


def prime_key(inputs: Mapping[str, str]) -> str:
    text = json.dumps({"format": PRIME_FORMAT, **inputs}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def files_hash(root: Path, pattern: str = "**/*") -> str:
    """A hash of the names and contents of the files under `root` matching `pattern`."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.glob(pattern) if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class PrimeRecord:
    """The stamp of a complete prime: its key and inputs, and its cold build."""

    key: str
    inputs: dict[str, str]
    cold_s: float
    created: str  # when the prime was built (UTC, ISO 8601)
    wheel: str  # the cold build's wheel, kept in dist/
    format: int = PRIME_FORMAT
    seed: str = ""  # the key of the prime whose target dir the build started from, if any

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"


def _record_of(data: Any) -> PrimeRecord | None:
    if not isinstance(data, dict):
        return None
    try:
        record = PrimeRecord(**data)
    except TypeError:
        return None
    types_ok = (
        isinstance(record.key, str)
        and isinstance(record.inputs, dict)
        and isinstance(record.cold_s, (int, float))
        and isinstance(record.created, str)
        and isinstance(record.wheel, str)
        and isinstance(record.seed, str)
    )
    return record if types_ok else None


def read_prime(prime_dir: Path, key: str) -> PrimeRecord | None:
    """The record of a complete prime of this key in `prime_dir`, or None (absent, partial, of
    another key or format, or missing a part)."""
    try:
        data = json.loads((prime_dir / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    record = _record_of(data)
    if record is None or record.format != PRIME_FORMAT or record.key != key:
        return None
    parts = [prime_dir / part for part in PARTS] + [prime_dir / "dist" / record.wheel]
    return record if all(p.exists() for p in parts) and (prime_dir / LOG).is_file() else None


def store_prime(store: Path, record: PrimeRecord, stage: Path, wheel: Path, log: str) -> Path:
    """Copies a freshly primed stage into the store as the prime of `record.key`, atomically."""
    final = store / record.key
    partial = store / f"{record.key}.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    try:
        partial.mkdir(parents=True)
        for part in PARTS:
            shutil.copytree(stage / part, partial / part, symlinks=True)
        (partial / "dist").mkdir()
        shutil.copy2(wheel, partial / "dist" / record.wheel)
        (partial / LOG).write_text(log, encoding="utf-8")
        (partial / STAMP).write_text(record.to_json(), encoding="utf-8")  # last: now complete
        shutil.rmtree(final, ignore_errors=True)  # an incomplete one: a complete one is reused
        partial.rename(final)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return final


def seed_from(prime_dir: Path, target: Path, packages: list[str]) -> None:
    """Makes `target` a copy of a prime's target dir (mtimes kept) without anything of the
    named packages, the project's own."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(prime_dir / "target", target, symlinks=True)
    forget_packages(target, packages)


def restore_prime(prime_dir: Path, stage: Path) -> None:
    """The stage as the prime left it: its project and target dir, mtimes kept."""
    for part in PARTS:
        shutil.rmtree(stage / part, ignore_errors=True)
        shutil.copytree(prime_dir / part, stage / part, symlinks=True)


def prune_primes(store: Path, now: float) -> list[Path]:
    """Removes primes unused for KEEP_UNUSED_DAYS and stale partial folders; returns them."""
    removed = []
    day = 24 * 3600
    for path in sorted(store.glob("*")) if store.is_dir() else []:
        if ".partial-" in path.name:
            age = now - path.stat().st_mtime
            stale = age > KEEP_PARTIAL_DAYS * day
        else:
            stamp = path / STAMP
            last_used = stamp.stat().st_mtime if stamp.exists() else path.stat().st_mtime
            stale = now - last_used > KEEP_UNUSED_DAYS * day
        if stale:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


@dataclass(frozen=True)
class Prime:
    """A complete prime in the store, and the primes it was seeded from."""

    spec: PrimeSpec
    path: Path
    record: PrimeRecord
    reused: bool  # made by an earlier run
    seed: Prime | None = None

    @property
    def chain(self) -> tuple[Prime, ...]:
        """The origin (the unseeded prime, built cold) first, this prime last."""
        return (*self.seed.chain, self) if self.seed is not None else (self,)

    @property
    def origin(self) -> Prime:
        return self.chain[0]

    @property
    def built_by(self) -> str:
        """The frontends whose builds made it: "uv", or "uv, then pip" for a seeded one."""
        return ", then ".join(prime.spec.frontend for prime in self.chain)

    @property
    def cold_from(self) -> str:
        """When the cold build behind it ran: "this run", or "prime of <date>"."""
        origin = self.origin
        return f"prime of {origin.record.created}" if origin.reused else "this run"

    def build(self) -> BuildRun:
        """The prime's own build, as it ran (in this run or when the prime was made)."""
        log = (self.path / LOG).read_text(encoding="utf-8")
        return BuildRun(
            self.path / "dist" / self.record.wheel, self.record.cold_s, parse_cargo_output(log), log
        )


@dataclass(frozen=True)
class Primed:
    """A stage restored from a prime, ready for a warm build."""

    fixture: Fixture  # the project at the stage
    target: Path
    prime: Prime

    @property
    def cold(self) -> BuildRun:
        """The priming build (a cold one unless the prime is seeded)."""
        return self.prime.build()

    @property
    def cold_s(self) -> float:
        """The cold build's time: the origin's, for a seeded prime."""
        return self.prime.origin.record.cold_s

    @property
    def cold_from(self) -> str:
        return self.prime.cold_from


class Primer:
    """Makes primes once, reuses them across runs, and restores them for each warm build."""

    def __init__(self, store: Path, pyo3_trees: Mapping[Variant, str]) -> None:
        self.store = store
        self.pyo3_trees = pyo3_trees
        self.made: set[str] = set()
        self._facts: dict[str, str] = {}
        prune_primes(store, time.time())

    def for_trees(self, pyo3_trees: Mapping[Variant, str]) -> Primer:
        """A primer of the same store for other pyo3 trees (a prefix of the stack as "new"): it
        shares what this one made and the facts it read, so a prime whose key is the same (an
        old-pyo3 one) is made once and reused as made by this run."""
        other = copy.copy(self)
        other.pyo3_trees = pyo3_trees
        return other

    def _fact(self, ctx: VerifyContext, name: str, args: list[str | Path]) -> str:
        if name not in self._facts:
            self._facts[name] = ctx.runner.run(args).stdout.strip()
        return self._facts[name]

    def _wheels(self, ctx: VerifyContext, variant: Variant) -> str:
        """The hash of a variant's wheelhouse, read once: it is written before any prime."""
        name = f"wheelhouse {variant}"
        if name not in self._facts:
            self._facts[name] = files_hash(ctx.wheelhouses[variant], "*.whl")
        return self._facts[name]

    def _frontend_version(self, ctx: VerifyContext, frontend: Frontend) -> str:
        if frontend == "uv":
            return self._fact(ctx, "uv", [sys.executable, "-m", "uv", "--version"])
        module = "build" if frontend == "build" else "pip"
        return self._fact(ctx, module, [ctx.python, "-m", module, "--version"])

    def interpreter(self, ctx: VerifyContext, python: Path) -> str:
        """What identifies an interpreter for a prime's key: its path, version and base
        interpreter, and the base's file (pyo3 with the series tracks its mtime, so a prime from
        before a reinstall at the same path would not be the build it claims to be)."""
        script = (
            "import os, sys\n"
            "base = getattr(sys, '_base_executable', None) or sys.executable\n"
            "stat = os.stat(base)\n"
            "print(sys.version, base, stat.st_mtime_ns, stat.st_size)"
        )
        return f"{python} {self._fact(ctx, f'python {python}', [python, '-c', script])}"

    def inputs(
        self, ctx: VerifyContext, spec: PrimeSpec, stage: Path, seed_key: str = ""
    ) -> dict[str, str]:
        return prime_inputs(
            spec,
            stage_path=stage,
            maturin_wheels=self._wheels(ctx, spec.maturin),
            pyo3_tree=self.pyo3_trees[spec.pyo3],
            fixture_files=files_hash(stage / "project"),
            python=self.interpreter(ctx, ctx.python),
            toolchain=(
                self._fact(ctx, "rustc", ["rustc", "-vV"])
                + "\n"
                + self._fact(ctx, "cargo", ["cargo", "-V"])
            ),
            frontend_version=self._frontend_version(ctx, spec.frontend),
            seed_key=seed_key,
        )

    @staticmethod
    def stage_of(ctx: VerifyContext, spec: PrimeSpec) -> Path:
        return (
            ctx.work
            / "primed"
            / spec.stage
            / f"maturin-{spec.maturin}-pyo3-{spec.pyo3}"
            / spec.fixture
            / spec.frontend
        )

    def _ensure(self, ctx: VerifyContext, spec: PrimeSpec) -> tuple[Prime, Fixture]:
        """The prime of `spec` (and of its seeds), made first if no run has made it, and the
        fixture rendered at its stage."""
        seed = None if spec.seed is None else self._ensure(ctx, spec.seed)[0]
        stage = self.stage_of(ctx, spec)
        fixture = ctx.fixture(spec.fixture, spec.pyo3, stage)  # a fresh render, for the key
        inputs = self.inputs(ctx, spec, stage, seed.record.key if seed is not None else "")
        key = prime_key(inputs)
        prime_dir = self.store / key
        record = read_prime(prime_dir, key)
        if record is None:
            shutil.rmtree(stage / "target", ignore_errors=True)
            shutil.rmtree(stage / "dist", ignore_errors=True)
            how = "cold build"
            if seed is not None:
                seed_from(seed.path, stage / "target", local_packages(fixture.project))
                how = f"build from {seed.spec.frontend}'s prime ({seed.spec.stage})"
            setup = ctx.setup(spec.maturin, stage / "target", **dict(spec.extra_env))
            label = f"priming {spec.fixture}, maturin {spec.maturin} x pyo3 {spec.pyo3}"
            with ctx.reporter.progress(f"{label}: {how} through {spec.frontend}"):
                run = build_wheel(
                    ctx.runner,
                    spec.frontend,
                    fixture.project,
                    stage / "dist",
                    setup,
                    extra_args=spec.frontend_args,
                )
            now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
            record = PrimeRecord(
                key=key,
                inputs=inputs,
                cold_s=round(run.seconds, 1),
                created=now.isoformat(),
                wheel=run.wheel.name,
                seed=seed.record.key if seed is not None else "",
            )
            store_prime(self.store, record, stage, run.wheel, run.log)
            self.made.add(key)
        else:
            (prime_dir / STAMP).touch()  # last used, for `prune_primes`
        return Prime(spec, prime_dir, record, reused=key not in self.made, seed=seed), fixture

    def seed(self, ctx: VerifyContext, spec: PrimeSpec, target: Path, project: Path) -> Prime:
        """Makes `target` a copy of the prime of `spec` (made first if need be) without the
        packages of `project`, for a first build that is not a prime of its own."""
        prime, _ = self._ensure(ctx, spec)
        seed_from(prime.path, target, local_packages(project))
        return prime

    def prime(self, ctx: VerifyContext, spec: PrimeSpec) -> Primed:
        """A fresh copy of the prime of `spec` at its stage: the project and target dir."""
        prime, fixture = self._ensure(ctx, spec)
        stage = self.stage_of(ctx, spec)
        restore_prime(prime.path, stage)
        return Primed(fixture, stage / "target", prime)
