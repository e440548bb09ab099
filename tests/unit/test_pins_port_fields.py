"""The pin fields `tools port` writes: `not_checked`, and pins on an upstream branch."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.errors import ConfigError
from tools.pins import load_pins
from tools.port_export import render_pin, splice_unshipped

COMMIT = "0123456789abcdef0123456789abcdef01234567"
HEAD = """[projects.pyo3]
git_url = "https://x.invalid/pyo3.git"
branch = "b"
not_shipped = ["newsfragments/", "noxfile.py"]

[projects.maturin]
git_url = "https://x.invalid/maturin.git"
branch = "b"
not_shipped = ["guide/"]

"""
RELEASE = f"""[[pins]]
project = "pyo3"
version = "1.0.0"
tag = "v1.0.0"
commit = "{COMMIT}"
patches = ["0001.patch"]
stack = [{{ title = "t", patches = ["0001.patch"] }}]
artifacts = [{{ name = "pyo3", kind = "crate", url = "https://x.invalid/p.crate", sha256 = "{"b" * 64}" }}]
"""  # noqa: E501


def _write(root: Path, text: str, version: str = "1.0.0") -> Path:
    (root / "pyo3" / version).mkdir(parents=True, exist_ok=True)
    (root / "pyo3" / version / "0001.patch").write_text("")
    path = root / "pins.toml"
    path.write_text(HEAD + text)
    return path


def test_not_checked_must_name_files_the_registry_lacks(tmp_path: Path) -> None:
    pin = load_pins(_write(tmp_path, RELEASE + 'not_checked = ["noxfile.py"]\n')).pins[0]
    assert pin.not_checked == ("noxfile.py",)
    with pytest.raises(ConfigError, match="`not_checked` lists files the registry artifacts ship"):
        load_pins(_write(tmp_path, RELEASE + 'not_checked = ["src/lib.rs"]\n'))


def test_branch_pin_is_named_after_its_commit_and_sorts_before_releases(tmp_path: Path) -> None:
    branch = (
        f'[[pins]]\nproject = "pyo3"\nversion = "{COMMIT[:12]}"\nupstream_branch = "main"\n'
        f'date = "2026-11-20T10:00:00Z"\ncommit = "{COMMIT}"\npatches = ["0001.patch"]\n'
        'stack = [{ title = "t", patches = ["0001.patch"] }]\n'
    )
    _write(tmp_path, "", COMMIT[:12])
    pins = load_pins(_write(tmp_path, RELEASE + "\n" + branch))
    assert [p.version for p in pins.for_project("pyo3")] == [COMMIT[:12], "1.0.0"]
    assert pins.select("pyo3", None).version == "1.0.0"
    on_main = pins.select("pyo3", COMMIT[:12])
    assert (on_main.tag, on_main.artifacts, on_main.upstream_branch) == ("", (), "main")
    table = render_pin(on_main, ported_from="1.0.0", source="git")
    assert (
        load_pins(_write(tmp_path, RELEASE + "\n" + table)).select("pyo3", COMMIT[:12]) == on_main
    )
    wrong = branch.replace(f'version = "{COMMIT[:12]}"', 'version = "abc"')
    with pytest.raises(ConfigError, match=f"`version` must be '{COMMIT[:12]}'"):
        load_pins(_write(tmp_path, RELEASE + "\n" + wrong), check_files=False)


def test_rendered_pin_loads_back_with_the_same_fields(tmp_path: Path) -> None:
    release = load_pins(_write(tmp_path, RELEASE + 'not_checked = ["noxfile.py"]\n')).pins[0]
    table = render_pin(release, ported_from="0.9.0", source="registry")
    reloaded = load_pins(_write(tmp_path, table)).pins[0]
    assert reloaded == release
    assert "not checked against this release" in table


def test_splice_puts_carried_sections_back_in_path_order() -> None:
    head = "From x\nSubject: [PATCH] s\n\nbody\n---\n"
    new = head + "diff --git a/src/a.rs b/src/a.rs\n+new\n"
    old = (
        head + "diff --git a/newsfragments/1.md b/newsfragments/1.md\n+note\n"
        "diff --git a/src/a.rs b/src/a.rs\n+old\n"
        "diff --git a/zz.py b/zz.py\n+z\n"
    )
    spliced = splice_unshipped(new, old, ["newsfragments/1.md", "zz.py"])
    assert spliced == (
        head + "diff --git a/newsfragments/1.md b/newsfragments/1.md\n+note\n"
        "diff --git a/src/a.rs b/src/a.rs\n+new\n"
        "diff --git a/zz.py b/zz.py\n+z\n"
    )
    assert splice_unshipped(new, old, []) == new


def test_stack_must_cover_the_series_in_order(tmp_path: Path) -> None:
    (tmp_path / "pyo3" / "1.0.0").mkdir(parents=True)
    (tmp_path / "pyo3" / "1.0.0" / "0002.patch").write_text("")
    two = RELEASE.replace('patches = ["0001.patch"]\n', 'patches = ["0001.patch", "0002.patch"]\n')
    split = two.replace(
        'stack = [{ title = "t", patches = ["0001.patch"] }]',
        'stack = [{ title = "one", patches = ["0001.patch"] },'
        ' { title = "two", patches = ["0002.patch"] }]',
    )
    pin = load_pins(_write(tmp_path, split)).pins[0]
    assert [(e.title, e.patches) for e in pin.stack] == [
        ("one", ("0001.patch",)),
        ("two", ("0002.patch",)),
    ]
    with pytest.raises(ConfigError, match="must be exactly the series"):
        load_pins(_write(tmp_path, two))  # the stack leaves 0002 out
    swapped = split.replace('"0001.patch"] },', '"0002.patch"] },', 1).replace(
        'patches = ["0002.patch"] }]', 'patches = ["0001.patch"] }]'
    )
    with pytest.raises(ConfigError, match="must be exactly the series"):
        load_pins(_write(tmp_path, swapped))
    with pytest.raises(ConfigError, match="printable"):
        load_pins(_write(tmp_path, RELEASE.replace('title = "t"', 'title = "a\\u001b[2Jb"')))
