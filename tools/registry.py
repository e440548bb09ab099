"""What the registries publish: releases of a crate (the crate registry's sparse index) and of a
PyPI project (its JSON API), each with the download URL and the registry's own sha256.

Parsing is separate from fetching, so tests can feed recorded answers.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from packaging.version import InvalidVersion, Version

from tools.errors import CommandFailed, ConfigError

CRATE_INDEX = "https://index.crates.io"
PYPI_JSON = "https://pypi.org/pypi"
PYPI_FILES = "https://files.pythonhosted.org/packages/"
USER_AGENT = "pyo3-base-python-tools (https://github.com/PyO3/pyo3/issues/6113)"

FetchText = Callable[[str], str]


class RegistryUnreachable(CommandFailed):
    """A registry did not answer; exit code 5 like every failed download."""


@dataclass(frozen=True, kw_only=True)
class Release:
    """One published version of a crate (its .crate) or of a PyPI project (its sdist)."""

    version: str
    yanked: bool
    sha256: str
    url: str | None = None

    @property
    def parsed(self) -> Version:
        return Version(self.version)


@dataclass(frozen=True, kw_only=True)
class Registries:
    """Where the registries answer; tests and mirrors point these elsewhere."""

    crate_index: str = CRATE_INDEX
    pypi: str = PYPI_JSON


def fetch_text(url: str) -> str:
    """The body of url as text; a registry that does not answer is one RegistryUnreachable."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            body: bytes = response.read()
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise RegistryUnreachable(
            f"could not read {url}: {exc}",
            hint="the crate registry and PyPI must be reachable",
        ) from exc
    return body.decode("utf-8")


def crate_index_url(index: str, name: str) -> str:
    """The sparse-index file of a crate (cargo's layout: 1/, 2/, 3/a/, ab/cd/)."""
    lower = name.lower()
    if len(lower) <= 2:
        folder = str(len(lower))
    elif len(lower) == 3:
        folder = f"3/{lower[0]}"
    else:
        folder = f"{lower[:2]}/{lower[2:4]}"
    return f"{index.rstrip('/')}/{folder}/{lower}"


def parse_crate_index(name: str, text: str) -> tuple[Release, ...]:
    """Releases from a sparse-index file: one JSON object per line, one line per version."""
    releases = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            releases.append(
                Release(
                    version=str(entry["vers"]),
                    yanked=bool(entry.get("yanked", False)),
                    sha256=str(entry["cksum"]),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ConfigError(f"crate index for {name}, line {number}: not an index entry") from exc
    return tuple(releases)


def _pypi_url(url: str) -> str:
    """An absolute files.pythonhosted.org URL, also when a mirror answered with relative ones."""
    if url.startswith(("https://", "http://", "file://")):
        return url
    marker = "packages/"
    if marker not in url:
        raise ConfigError(f"PyPI answered with a file URL that cannot be placed: {url!r}")
    return PYPI_FILES + url.rsplit(marker, 1)[1]


def parse_pypi(name: str, text: str) -> tuple[Release, ...]:
    """Releases with an sdist from a PyPI project's JSON; versions without one are left out."""
    try:
        data: Any = json.loads(text)
        files_by_version = data["releases"]
        if not isinstance(files_by_version, dict):
            raise TypeError("releases is not a table")
        releases = []
        for version, files in files_by_version.items():
            sdists = [f for f in files if f.get("packagetype") == "sdist"]
            if not sdists:
                continue
            sdist = sdists[0]
            releases.append(
                Release(
                    version=str(version),
                    yanked=bool(sdist.get("yanked", False)),
                    sha256=str(sdist["digests"]["sha256"]),
                    url=_pypi_url(str(sdist["url"])),
                )
            )
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(f"PyPI's answer for {name} is not the JSON API's shape: {exc}") from exc
    return tuple(releases)


def crate_releases(name: str, fetch: FetchText, registries: Registries) -> tuple[Release, ...]:
    return parse_crate_index(name, fetch(crate_index_url(registries.crate_index, name)))


def pypi_releases(name: str, fetch: FetchText, registries: Registries) -> tuple[Release, ...]:
    return parse_pypi(name, fetch(f"{registries.pypi.rstrip('/')}/{name}/json"))


def find_release(releases: tuple[Release, ...], version: str, what: str) -> Release:
    for release in releases:
        if release.version == version:
            if release.yanked:
                raise ConfigError(f"{what} {version} is yanked; refusing to port onto it")
            return release
    raise ConfigError(f"{what} {version} is not on the registry")


def stable(releases: tuple[Release, ...]) -> list[Version]:
    """The versions that count as releases: not yanked, not pre-releases, sorted."""
    found = []
    for release in releases:
        try:
            version = release.parsed
        except InvalidVersion:
            continue
        if not release.yanked and not version.is_prerelease and not version.is_devrelease:
            found.append(version)
    return sorted(found)
