"""The project to audit: a local directory (read only), or an sdist from PyPI whose sha256 is
recorded and checked."""

from __future__ import annotations

import json
import re
import shutil
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from tools.cache import Cache
from tools.errors import CommandFailed, ConfigError
from tools.pins import Artifact
from tools.reporter import Reporter
from tools.sources import fetch_artifact, lay_out

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

SourceKind = Literal["local", "pypi"]
PYPI_JSON = "https://pypi.org/pypi/{name}/json"
_PYPI_SPEC = re.compile(r"pypi:(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:==(?P<version>[^\s=]+))?")


@dataclass(frozen=True)
class ProjectSource:
    spec: str
    kind: SourceKind
    name: str
    version: str
    origin: str  # the directory, or the sdist's URL
    sha256: str  # of the sdist; "" for a local directory
    root: Path  # the directory with pyproject.toml; only ever read


def parse_pypi_spec(spec: str) -> tuple[str, str | None] | None:
    """(name, version or None) for `pypi:NAME[==VERSION]`, None for anything else."""
    if not spec.startswith("pypi:"):
        return None
    match = _PYPI_SPEC.fullmatch(spec)
    if match is None:
        raise ConfigError(f"{spec!r} is not pypi:NAME or pypi:NAME==VERSION")
    return match["name"], match["version"]


def pick_sdist(
    index: dict[str, Any], name: str, version: str | None, url: str
) -> tuple[Artifact, str]:
    """The sdist of `version` (default: the newest) in a PyPI JSON document, and the version."""
    version = version or str(index.get("info", {}).get("version", ""))
    files = index.get("releases", {}).get(version)
    if files is None:
        raise ConfigError(f"PyPI has no release {version!r} of {name}")
    sdists = [f for f in files if f.get("packagetype") == "sdist" and not f.get("yanked")]
    if not sdists:
        raise ConfigError(f"{name} {version} has no sdist on PyPI", hint="audit a local checkout")
    sdist = sdists[0]
    artifact = Artifact(
        name=f"{name}-{version}",
        kind="sdist",
        url=urllib.parse.urljoin(url, sdist["url"]),
        sha256=sdist["digests"]["sha256"],
        path="",
        drop=(),
    )
    return artifact, version


def _pypi_index(name: str) -> tuple[dict[str, Any], str]:
    url = PYPI_JSON.format(name=name)
    try:
        with urllib.request.urlopen(url, timeout=120) as response:
            data: dict[str, Any] = json.load(response)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise ConfigError(f"PyPI has no project named {name!r}") from exc
        raise CommandFailed(f"could not read {url}: {exc}") from exc
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        raise CommandFailed(f"could not read {url}: {exc}", hint="PyPI must be reachable") from exc
    return data, url


def _pyproject_name_version(root: Path) -> tuple[str, str]:
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        raise ConfigError(f"{root} has no pyproject.toml", hint="point at a maturin project")
    try:
        project = tomllib.loads(pyproject.read_text()).get("project", {})
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{pyproject} is not valid TOML: {exc}") from exc
    return str(project.get("name") or root.name), str(project.get("version") or "dynamic")


def resolve_source(spec: str, cache: Cache, reporter: Reporter) -> ProjectSource:
    pypi = parse_pypi_spec(spec)
    if pypi is None:
        root = Path(spec).expanduser().resolve()
        if not root.is_dir():
            raise ConfigError(f"{spec} is not a directory", hint="give a directory or pypi:NAME")
        name, version = _pyproject_name_version(root)
        return ProjectSource(spec, "local", name, version, str(root), "", root)
    name, wanted = pypi
    with reporter.progress(f"looking up {name} on PyPI"):
        index, url = _pypi_index(name)
    artifact, version = pick_sdist(index, name, wanted, url)
    archive = fetch_artifact(artifact, cache, reporter)
    root = cache.builds / "audit" / "sources" / f"{artifact.name}-{artifact.sha256[:12]}"
    if not (root / "pyproject.toml").is_file():
        shutil.rmtree(root, ignore_errors=True)
        lay_out(artifact, archive, root)
    reporter.info(f"{artifact.filename} sha256 {artifact.sha256} (checked)")
    return ProjectSource(spec, "pypi", name, version, artifact.url, artifact.sha256, root)
