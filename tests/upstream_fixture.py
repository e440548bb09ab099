"""A small fake upstream built by the tests: a git repo with a tag, registry-style archives
of it served from file:// URLs, a patch series made with `git format-patch`, and a pins file.

It mirrors the shape of the real pins (a root crate plus a sub-crate, files the archives do not
ship) so the tools can be exercised offline and quickly.
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

IDENTITY = {
    "GIT_AUTHOR_NAME": "Upstream Dev",
    "GIT_AUTHOR_EMAIL": "dev@upstream.invalid",
    "GIT_COMMITTER_NAME": "Upstream Dev",
    "GIT_COMMITTER_EMAIL": "dev@upstream.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    # git from wherever this machine has it (on Windows, PATH and SYSTEMROOT are needed too).
    **{key: os.environ[key] for key in ("PATH", "SYSTEMROOT") if key in os.environ},
}

IMPL_RS = "".join(f"fn item_{i}() -> u32 {{ {i} }}\n" for i in range(40))
LIB_RS = "//! The root crate.\n\npub fn answer() -> u32 {\n    42\n}\n"
# pyo3's changelog check, reduced to what it checks: a newsfragment named after the pull
# request in the GitHub event it is given
NOXFILE = """\
import json
import os
from pathlib import Path

import nox


@nox.session(name="check-changelog", venv_backend="none")
def check_changelog(session):
    event = json.loads(Path(os.environ["GITHUB_EVENT_PATH"]).read_text())
    number = event["pull_request"]["number"]
    if not list(Path("newsfragments").glob(f"{number}.*.md")):
        session.error(f"no newsfragment for {number}")
"""


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args],
        env=IDENTITY,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@dataclass
class FakeUpstream:
    root: Path
    repo: Path
    tag: str
    commit: str
    archives: dict[str, Path]
    series: list[Path]
    pins_path: Path

    def sha256(self, name: str) -> str:
        return hashlib.sha256(self.archives[name].read_bytes()).hexdigest()

    def write_pins(
        self,
        *,
        commit: str | None = None,
        git_url: str | None = None,
        sha256: dict[str, str] | None = None,
        patches: list[str] | None = None,
        extra: str = "",
        maturin: bool = False,
    ) -> Path:
        sums = {name: self.sha256(name) for name in self.archives} | (sha256 or {})
        names = patches if patches is not None else [p.name for p in self.series]
        text = f"""
[projects.pyo3]
git_url = "{git_url or self.repo.as_uri()}"
branch = "base-python"
not_shipped = ["newsfragments/", "noxfile.py"]

[projects.maturin]
git_url = "file:///nonexistent"
branch = "maturin-base-python"
not_shipped = ["guide/"]

[[pins]]
project = "pyo3"
version = "1.0.0"
tag = "{self.tag}"
commit = "{commit or self.commit}"
patches = {names!r}
stack = [{{ title = "pyo3-build-config: one pull request", patches = {names!r} }}]
artifacts = [
  {{ name = "pyo3", kind = "crate", path = "", url = "{self.archives["pyo3"].as_uri()}", sha256 = "{sums["pyo3"]}" }},
  {{ name = "pyo3-build-config", kind = "crate", path = "pyo3-build-config", url = "{self.archives["pyo3-build-config"].as_uri()}", sha256 = "{sums["pyo3-build-config"]}" }},
]
{extra}
"""  # noqa: E501
        if maturin:
            series = self.pins_path.parent / "maturin" / "1.0.0"
            series.mkdir(parents=True, exist_ok=True)
            for patch in self.series:
                (series / patch.name).write_text(patch.read_text())
            text += text[text.index("[[pins]]") :].replace(
                'project = "pyo3"', 'project = "maturin"'
            )
            text = text.replace(
                'git_url = "file:///nonexistent"', f'git_url = "{git_url or self.repo.as_uri()}"'
            ).replace('not_shipped = ["guide/"]', 'not_shipped = ["newsfragments/", "noxfile.py"]')
        self.pins_path.write_text(text)
        return self.pins_path


def _archive(source: Path, top: str, out: Path, *, skip: tuple[str, ...], sha1: str = "0") -> Path:
    with tarfile.open(out, "w:gz") as tar:
        for path in sorted(source.rglob("*")):
            relative = path.relative_to(source)
            if ".git" in relative.parts or not path.is_file():
                continue
            if any(str(relative).startswith(s) for s in skip):
                continue
            tar.add(path, arcname=f"{top}/{relative}")
        info = tarfile.TarInfo(f"{top}/.cargo_vcs_info.json")
        data = b'{"git": {"sha1": "%s"}}' % sha1.encode()
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return out


def make_fake_upstream(root: Path) -> FakeUpstream:
    repo = root / "upstream"
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    write(repo, "Cargo.toml", '[package]\nname = "pyo3"\nversion = "1.0.0"\n')
    write(repo, "src/lib.rs", LIB_RS)
    write(repo, "pyo3-build-config/Cargo.toml", '[package]\nname = "pyo3-build-config"\n')
    write(repo, "pyo3-build-config/src/impl_.rs", IMPL_RS)
    write(repo, "newsfragments/.gitignore", "!.gitignore\n")
    write(repo, "noxfile.py", NOXFILE)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Release 1.0.0")
    git(repo, "tag", "-a", "v1.0.0", "-m", "v1.0.0")
    commit = git(repo, "rev-parse", "HEAD")

    registry = root / "registry"
    registry.mkdir()
    archives = {
        "pyo3": _archive(
            repo,
            "pyo3-1.0.0",
            registry / "pyo3-1.0.0.crate",
            skip=("pyo3-build-config", "newsfragments", "noxfile.py"),
        ),
        "pyo3-build-config": _archive(
            repo / "pyo3-build-config",
            "pyo3-build-config-1.0.0",
            registry / "pyo3-build-config-1.0.0.crate",
            skip=(),
        ),
    }

    work = root / "work"
    git(root, "clone", "-q", str(repo), str(work))
    impl = (work / "pyo3-build-config/src/impl_.rs").read_text().splitlines(keepends=True)
    impl[20] = "fn item_20() -> u32 {\n    // prefer the base interpreter\n    20\n}\n"
    (work / "pyo3-build-config/src/impl_.rs").write_text("".join(impl))
    write(work, "newsfragments/PR-NUMBER.added.md", "Add `PYO3_BASE_PYTHON`.\n")
    git(work, "add", "-A")
    git(
        work, "commit", "-q", "-m", "Prefer the base interpreter\n\nSo isolated builds stay cached."
    )
    write(work, "src/lib.rs", LIB_RS.replace("42", "43"))
    git(work, "commit", "-q", "-am", "Change the answer\n\nBecause the test says so.")
    write(work, "noxfile.py", NOXFILE + "\n\n@nox.session\ndef session(session):\n    pass\n")
    git(work, "commit", "-q", "-am", "Add a nox session\n\nOnly in the repository.")
    series_dir = root / "patches" / "pyo3" / "1.0.0"
    out = git(
        work,
        "format-patch",
        "--zero-commit",
        "--full-index",
        "--no-stat",
        "-N",
        "-o",
        str(series_dir),
        "HEAD~3",
    )
    series = [Path(line) for line in out.splitlines()]
    upstream = FakeUpstream(
        root=root,
        repo=repo,
        tag="v1.0.0",
        commit=commit,
        archives=archives,
        series=series,
        pins_path=root / "patches" / "pins.toml",
    )
    upstream.write_pins()
    return upstream
