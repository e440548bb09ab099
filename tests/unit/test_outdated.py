"""`tools outdated` on recorded registry answers: the verdict, the parsing of both registries,
and the exit codes (0 up to date, 1 a port is needed, 5 the registries cannot be reached)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools.cli import main
from tools.errors import CommandFailed
from tools.outdated import as_json, assess, query, rows
from tools.pins import Pin, Project, StackEntry
from tools.registry import (
    PYPI_FILES,
    Registries,
    RegistryUnreachable,
    crate_index_url,
    parse_crate_index,
    parse_pypi,
)
from tools.reporter import RecordingReporter


def _index(*entries: tuple[str, bool]) -> str:
    """A sparse-index file as the crate registry serves it (fields trimmed to what is read)."""
    return "".join(
        json.dumps({"name": "pyo3", "vers": v, "deps": [], "cksum": f"{i:064x}", "yanked": y})
        + "\n"
        for i, (v, y) in enumerate(entries)
    )


def _pypi(*versions: str, no_sdist: tuple[str, ...] = ()) -> str:
    """PyPI's project JSON as a mirror serves it: relative file URLs."""
    releases: dict[str, list[dict[str, object]]] = {}
    for i, version in enumerate(versions):
        wheel = {
            "packagetype": "bdist_wheel",
            "url": f"../../packages/packages/aa/bb/{i}/m.whl",
            "digests": {"sha256": "1" * 64},
            "yanked": False,
        }
        sdist = {
            "packagetype": "sdist",
            "digests": {"sha256": f"{i:064x}"},
            "yanked": False,
            "url": f"../../packages/packages/cc/dd/{i}/maturin-{version}.tar.gz",
        }
        releases[version] = [wheel] if version in no_sdist else [wheel, sdist]
    return json.dumps({"info": {"version": versions[-1]}, "releases": releases})


def _pin(project: Project, version: str, *, branch: str | None = None) -> Pin:
    return Pin(
        project=project,
        version=version,
        git_url="https://example.invalid/x.git",
        tag="" if branch else f"v{version}",
        commit="a" * 40,
        branch="b",
        patches=("0001.patch",),
        stack=(StackEntry(title="t", patches=("0001.patch",)),),
        artifacts=(),
        not_shipped=("docs/",),
        series_dir=Path("unused"),
        upstream_branch=branch,
        date="2026-11-01T00:00:00Z" if branch else None,
    )


PYO3_INDEX = _index(
    ("0.28.3", False),
    ("0.29.2", False),
    ("0.29.3", False),
    ("0.30.0", False),
    ("0.30.1", False),
    ("0.30.2", True),
    ("0.31.0-alpha.1", False),
)


def test_up_to_date_ignores_yanked_and_prereleases() -> None:
    status = assess(
        "pyo3",
        [_pin("pyo3", "0.30.1"), _pin("pyo3", "0.29.3")],
        parse_crate_index("pyo3", PYO3_INDEX),
    )
    assert status.newest == "0.30.1"
    assert status.ports == ()
    assert [(line.line, line.pinned, line.newest) for line in status.lines] == [
        ("0.29", "0.29.3", "0.29.3"),
        ("0.30", "0.30.1", "0.30.1"),
    ]


def test_patch_release_on_a_pinned_line_needs_a_port() -> None:
    pins = [_pin("pyo3", "0.30.1"), _pin("pyo3", "0.29.2"), _pin("pyo3", "0.28.3")]
    status = assess("pyo3", pins, parse_crate_index("pyo3", PYO3_INDEX))
    assert [(p.from_version, p.to_version) for p in status.ports] == [("0.29.2", "0.29.3")]
    assert status.ports[0].command == "tools port pyo3 --from 0.29.2 --to 0.29.3"
    assert "newest release of the 0.29 line" in status.ports[0].reason
    table = rows([status])
    assert ["pyo3", "0.29", "0.29.2", "0.29.3", "0.30.1", "port 0.29.2 to 0.29.3"] in table
    assert ["pyo3", "0.28", "0.28.3", "0.28.3", "0.30.1", "up to date"] in table


def test_new_line_without_a_pin_needs_a_port_from_the_newest_pin() -> None:
    index = PYO3_INDEX + _index(("0.31.0", False))
    pins = [_pin("pyo3", "0.29.3"), _pin("pyo3", "0.30.1")]
    status = assess("pyo3", pins, parse_crate_index("pyo3", index))
    assert [(p.from_version, p.to_version) for p in status.ports] == [("0.30.1", "0.31.0")]
    assert ["pyo3", "0.31", "-", "0.31.0", "0.31.0", "port 0.30.1 to 0.31.0"] in rows([status])
    verdict = as_json([status])
    assert verdict["port_needed"] is True


def test_an_older_pin_on_a_line_is_superseded_by_the_newer_one() -> None:
    pins = [_pin("pyo3", "0.29.2"), _pin("pyo3", "0.29.3"), _pin("pyo3", "0.30.1")]
    assert assess("pyo3", pins, parse_crate_index("pyo3", PYO3_INDEX)).ports == ()


def test_branch_pins_are_listed_but_never_need_a_release_port() -> None:
    pins = [_pin("pyo3", "0.30.1"), _pin("pyo3", "abcdef012345", branch="main")]
    status = assess("pyo3", pins, parse_crate_index("pyo3", PYO3_INDEX))
    assert status.pinned == ("0.30.1", "main@abcdef012345")
    assert status.ports == ()


def test_pypi_answer_with_relative_urls() -> None:
    releases = parse_pypi("maturin", _pypi("1.15.0", "1.16.0", "1.17.0", no_sdist=("1.17.0",)))
    assert [r.version for r in releases] == ["1.15.0", "1.16.0"]
    assert releases[1].url == PYPI_FILES + "cc/dd/1/maturin-1.16.0.tar.gz"
    assert releases[1].sha256 == f"{1:064x}"
    status = assess("maturin", [_pin("maturin", "1.16.0")], releases)
    assert (status.newest, status.ports) == ("1.16.0", ())


def test_query_asks_the_index_and_pypi_at_their_paths() -> None:
    answers = {
        "https://index.crates.io/py/o3/pyo3": PYO3_INDEX,
        "https://pypi.org/pypi/maturin/json": _pypi("1.16.0"),
    }
    asked: list[str] = []

    def fetch(url: str) -> str:
        asked.append(url)
        return answers[url]

    found = query(fetch, Registries())
    assert asked == list(answers)
    assert [r.version for r in found["maturin"]] == ["1.16.0"]
    assert crate_index_url("https://i", "syn") == "https://i/3/s/syn"
    assert crate_index_url("https://i", "cc") == "https://i/2/cc"


def test_unreachable_registry_is_one_command_failure() -> None:
    def fetch(url: str) -> str:
        raise RegistryUnreachable(f"could not read {url}: timed out")

    with pytest.raises(CommandFailed, match="the registries cannot be reached") as caught:
        query(fetch, Registries())
    assert caught.value.exit_code == 5
    assert caught.value.hint == (
        "check the network, or point --crate-index and --pypi at a reachable mirror"
    )


def _pins_file(root: Path, pyo3: str) -> Path:
    for project, version in (("pyo3", pyo3), ("maturin", "1.16.0")):
        series = root / project / version
        series.mkdir(parents=True)
        (series / "0001.patch").write_text("")
    text = "".join(
        f'[[pins]]\nproject = "{project}"\nversion = "{version}"\ntag = "v{version}"\n'
        f'commit = "{"a" * 40}"\npatches = ["0001.patch"]\n'
        'stack = [{ title = "t", patches = ["0001.patch"] }]\n'
        f'artifacts = [{{ name = "{project}", kind = "crate", url = "https://x.invalid/a", '
        f'sha256 = "{"b" * 64}" }}]\n\n'
        for project, version in (("pyo3", pyo3), ("maturin", "1.16.0"))
    )
    projects = "".join(
        f'[projects.{p}]\ngit_url = "https://x.invalid/{p}.git"\nbranch = "b"\n'
        'not_shipped = ["docs/"]\n\n'
        for p in ("pyo3", "maturin")
    )
    path = root / "pins.toml"
    path.write_text(projects + text)
    return path


@pytest.mark.parametrize(("pinned", "code"), [("0.30.1", 0), ("0.29.2", 1)])
def test_cli_exit_codes_on_recorded_answers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], pinned: str, code: int
) -> None:
    """file:// URLs stand in for the registries: recorded answers, read without a network."""
    index = tmp_path / "index"
    (index / "py" / "o3").mkdir(parents=True)
    (index / "py" / "o3" / "pyo3").write_text(PYO3_INDEX)
    (tmp_path / "pypi" / "maturin").mkdir(parents=True)
    (tmp_path / "pypi" / "maturin" / "json").write_text(_pypi("1.16.0"))
    pins = _pins_file(tmp_path / "patches", pinned)
    reporter = RecordingReporter()
    argv = [
        "--pins",
        str(pins),
        "outdated",
        "--json",
        "--crate-index",
        index.as_uri(),
        "--pypi",
        (tmp_path / "pypi").as_uri(),
    ]
    assert main(argv, reporter=reporter) == code
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["port_needed"] is (code == 1)
    pyo3 = verdict["projects"][0]
    assert (pyo3["project"], pyo3["newest"]) == ("pyo3", "0.30.1")


def test_cli_unreachable_registry_exits_5_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pins = _pins_file(tmp_path / "patches", "0.30.1")
    argv = ["--pins", str(pins), "outdated", "--crate-index", (tmp_path / "none").as_uri()]
    assert main(argv, reporter=RecordingReporter()) == 5
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2
    assert err[0].startswith("error: the registries cannot be reached, nothing was compared")
    assert err[1].strip().startswith("hint: check the network")
