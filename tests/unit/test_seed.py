"""A target dir seeded from another tree's build keeps the registry crates and nothing of the
tree's own packages, so cargo has to build those from the tree it is given."""

from __future__ import annotations

import zipfile
from pathlib import Path

from tools.verify.artifacts import maturin_binary
from tools.verify.seed import forget_packages, local_packages, seed_target

OWN = [
    ".fingerprint/maturin-49ef8f3e5a39a1f4/bin-maturin",
    ".fingerprint/maturin-e9d62ee4f52ddef3/lib-maturin",
    "build/maturin-0123456789abcdef/output",
    "deps/maturin-49ef8f3e5a39a1f4",
    "deps/maturin-49ef8f3e5a39a1f4.d",
    "deps/libmaturin-e9d62ee4f52ddef3.rlib",
    "deps/libmaturin-e9d62ee4f52ddef3.rmeta",
    "incremental/maturin-1idpwxx0x7shv/s-abc/dep-graph.bin",
    "maturin",
    "maturin.d",
    "libmaturin.rlib",
    "deps/my_helper-0123456789abcdef.d",  # a local package with `-` in its name
]
REGISTRY = [
    ".fingerprint/anyhow-009de2789595fa5a/lib-anyhow",
    ".fingerprint/maturin-foo-0123456789abcdef/lib-maturin-foo",  # another crate's prefix
    "build/anyhow-fa3a75e2f5dffbf8/output",
    "deps/libanyhow-009de2789595fa5a.rlib",
    "deps/libmaturin_foo-0123456789abcdef.rlib",
    "deps/maturinx-0123456789abcdef.d",
]


def _tree(root: Path, names: dict[str, str]) -> Path:
    for folder, name in names.items():
        manifest = root / folder / "Cargo.toml"
        manifest.parent.mkdir(parents=True, exist_ok=True)
        manifest.write_text(f'[package]\nname = "{name}"\nversion = "1.0.0"\n')
    return root


def _target(root: Path, profile: str = "release") -> Path:
    for name in OWN + REGISTRY:
        path = root / profile / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(name)
    return root


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_local_packages_are_the_trees_manifests_not_a_target_dirs(tmp_path: Path) -> None:
    tree = _tree(
        tmp_path, {".": "maturin", "crates/helper": "my-helper", "target/package/x": "vendored"}
    )
    (tmp_path / "crates" / "broken").mkdir()
    (tmp_path / "crates" / "broken" / "Cargo.toml").write_text("[package\n")
    assert local_packages(tree) == ["maturin", "my-helper"]


def test_forgets_every_artifact_of_the_own_packages_in_every_profile(tmp_path: Path) -> None:
    target = _target(tmp_path / "target")
    _target(target, "x86_64-unknown-linux-gnu/release")
    forget_packages(target, ["maturin", "my-helper"])
    kept = _files(target)
    for profile in ("release", "x86_64-unknown-linux-gnu/release"):
        assert {f"{profile}/{name}" for name in REGISTRY} <= kept
        assert not {f"{profile}/{name}" for name in OWN} & kept


def test_seed_copies_without_the_own_packages_and_leaves_the_source(tmp_path: Path) -> None:
    tree = _tree(tmp_path / "tree", {".": "maturin", "helper": "my-helper"})
    source = _target(tmp_path / "old")
    before = _files(source)
    assert seed_target(source, tmp_path / "new", tree) == ["maturin", "my-helper"]
    assert _files(source) == before
    assert _files(tmp_path / "new") == {f"release/{name}" for name in REGISTRY}
    assert not list(tmp_path.glob("*.partial"))


def test_seed_never_touches_an_existing_target_or_copies_an_empty_one(tmp_path: Path) -> None:
    tree = _tree(tmp_path / "tree", {".": "maturin"})
    source = _target(tmp_path / "old")
    existing = tmp_path / "new"
    (existing / "release").mkdir(parents=True)
    (existing / "release" / "maturin").write_text("the new tree's own build")
    assert seed_target(source, existing, tree) == []
    assert _files(existing) == {"release/maturin"}
    (tmp_path / "empty").mkdir()
    assert seed_target(tmp_path / "empty", tmp_path / "other", tree) == []
    assert not (tmp_path / "other").exists()


def _wheel(path: Path, binary: bytes) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("maturin/__init__.py", "")
        archive.writestr("maturin-1.16.0.data/scripts/maturin", binary)
    return path


def test_maturin_binary_tells_two_builds_apart(tmp_path: Path) -> None:
    old = _wheel(tmp_path / "old.whl", b"\x7fELF old")
    stale = _wheel(tmp_path / "stale.whl", b"\x7fELF old")
    new = _wheel(tmp_path / "new.whl", b"\x7fELF new")
    assert maturin_binary(old) == maturin_binary(stale) != maturin_binary(new)
    with zipfile.ZipFile(tmp_path / "none.whl", "w") as archive:
        archive.writestr("maturin/__init__.py", "")
    assert maturin_binary(tmp_path / "none.whl") == ""
