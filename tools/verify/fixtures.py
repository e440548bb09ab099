"""The fixture projects owned by this repo, rendered for one pyo3 tree and maturin version."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import jinja2

from tools.platforms import toml_path
from tools.verify.artifacts import BUILD_REQUIREMENT, BUILDTIME_MESSAGE

FixtureName = Literal["ext", "abi3", "downstream", "downstream-opt-in", "build-requirement"]
FIXTURES: tuple[FixtureName, ...] = ("ext", "abi3", "downstream")
TEMPLATES = Path(__file__).resolve().parent / "fixtures"

# The opt-in API of the pyo3 series for build scripts that need the build environment's Python.
OPT_IN_API = "build_env_interpreter"


@dataclass(frozen=True)
class Fixture:
    name: FixtureName
    project: Path
    module: str

    def import_check(self) -> str:
        """Python code that imports the built module and calls into it."""
        if self.name.startswith("downstream"):
            call = f"{self.module}.message()"
            return f"import {self.module}\nassert {call} == {BUILDTIME_MESSAGE!r}, {call}\n"
        return f"import {self.module}\nassert {self.module}.add(2, 3) == 5\n"


def _version(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".")[:2] if part.isdigit())


def render_fixture(
    name: FixtureName,
    dest: Path,
    *,
    pyo3_tree: Path,
    pyo3_version: str,
    maturin_version: str,
) -> Fixture:
    source = TEMPLATES / ("downstream" if name == "downstream-opt-in" else name)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([source, TEMPLATES]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    values = {
        "pyo3_tree": toml_path(pyo3_tree),
        "pyo3_version": pyo3_version,
        "maturin_version": maturin_version,
        "opt_in": name == "downstream-opt-in",
        "opt_in_api": OPT_IN_API,
        "requirement": BUILD_REQUIREMENT.requirement,
        "requirement_module": BUILD_REQUIREMENT.module,
        # pyo3-build-config's fields became getters in 0.29
        "executable": "executable()"
        if _version(pyo3_version) >= (0, 29)
        else "executable.as_deref()",
    }
    shutil.rmtree(dest, ignore_errors=True)
    for path in sorted(source.rglob("*")):
        if path.is_dir():
            continue
        relative = path.relative_to(source)
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".j2":
            text = env.get_template(relative.as_posix()).render(values)
            target.with_suffix("").write_text(text, encoding="utf-8")
        else:
            shutil.copy2(path, target)
    modules = {
        "ext": "verify_ext",
        "abi3": "verify_abi3",
        "build-requirement": "verify_build_requirement",
    }
    module = modules.get(name, "verify_downstream")
    return Fixture(name, dest, module)
