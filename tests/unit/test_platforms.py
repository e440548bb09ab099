"""Each platform's layout, checked on pure paths so every platform is tested on any machine."""

from __future__ import annotations

import sys
from pathlib import PurePosixPath, PureWindowsPath

import pytest

from tools.platforms import LAYOUTS, LINUX, MACOS, WINDOWS, layout_for, toml_path

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


@pytest.mark.parametrize(
    ("platform", "expected"),
    [
        ("linux", LINUX),
        ("darwin", MACOS),
        ("win32", WINDOWS),
        ("freebsd14", LINUX),
        ("cygwin", LINUX),
    ],
)
def test_layout_is_chosen_from_sys_platform(platform: str, expected: object) -> None:
    assert layout_for(platform) is expected


def test_posix_venv_layout() -> None:
    venv = PurePosixPath("/work/.venv")
    for layout in (LINUX, MACOS):
        assert layout.venv_python(venv) == PurePosixPath("/work/.venv/bin/python")
        assert layout.venv_root(layout.venv_python(venv)) == venv
        assert layout.venv_args() == ["--symlinks"]
        assert layout.venv_args(copies=True) == ["--copies"]
        assert layout.python_names("3.14", free_threaded=True) == ["python3.14t", "python3t"]
        assert layout.base_interpreter(PurePosixPath("/usr"), "python3.13") == PurePosixPath(
            "/usr/bin/python3.13"
        )


def test_windows_venv_layout() -> None:
    venv = PureWindowsPath(r"C:\Users\runner\work\.venv")
    python = WINDOWS.venv_python(venv)
    assert python == PureWindowsPath(r"C:\Users\runner\work\.venv\Scripts\python.exe")
    assert WINDOWS.venv_root(python) == venv
    # Symlinked venvs need a privilege on Windows: always copies (the venv launcher).
    assert WINDOWS.venv_args() == ["--copies"]
    assert WINDOWS.python_names("3.13") == ["python3.13.exe", "python3.exe"]
    assert WINDOWS.base_interpreter(PureWindowsPath(r"C:\Python313"), "python.exe") == (
        PureWindowsPath(r"C:\Python313\python.exe")
    )


def test_activation_puts_the_venv_scripts_first_on_path() -> None:
    posix = LINUX.activated(PurePosixPath("/v"), "/usr/bin:/bin")
    assert posix == {"VIRTUAL_ENV": "/v", "PATH": "/v/bin:/usr/bin:/bin"}
    windows = WINDOWS.activated(PureWindowsPath(r"D:\v"), r"C:\Windows;C:\tools;")
    assert windows == {"VIRTUAL_ENV": r"D:\v", "PATH": r"D:\v\Scripts;C:\Windows;C:\tools"}
    # An empty PATH leaves no stray separator (which would mean the current directory).
    assert LINUX.activated(PurePosixPath("/v"), "")["PATH"] == "/v/bin"


def test_path_lists_split_on_the_platforms_separator() -> None:
    assert WINDOWS.split_path_list(r"C:\a;C:\b") == [r"C:\a", r"C:\b"]
    assert LINUX.split_path_list("/a::/b") == ["/a", "/b"]
    assert WINDOWS.join_path_list(["C:\\a", "", "C:\\b"]) == "C:\\a;C:\\b"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (
            PureWindowsPath(r"C:\Users\me\cache\pyo3-0.30.1-new"),
            "C:/Users/me/cache/pyo3-0.30.1-new",
        ),
        (PurePosixPath("/home/me/cache/pyo3"), "/home/me/cache/pyo3"),
        (PurePosixPath('/odd/na"me\\x'), '/odd/na\\"me\\\\x'),
    ],
)
def test_paths_go_into_toml_strings_intact(path: PurePosixPath, expected: str) -> None:
    assert toml_path(path) == expected
    document = tomllib.loads(f'[patch.crates-io]\npyo3 = {{ path = "{toml_path(path)}" }}\n')
    value = document["patch"]["crates-io"]["pyo3"]["path"]
    assert value == (path.as_posix() if isinstance(path, PureWindowsPath) else str(path))


def test_every_layout_is_named_after_its_key() -> None:
    assert {name: layout.name for name, layout in LAYOUTS.items()} == {
        "linux": "linux",
        "macos": "macos",
        "windows": "windows",
    }
    assert [layout.path_type for layout in LAYOUTS.values()] == [
        PurePosixPath,
        PurePosixPath,
        PureWindowsPath,
    ]


def test_only_windows_cannot_relocate_a_base_install_by_copying_its_binary() -> None:
    assert WINDOWS.no_relocated_copy is not None
    assert "DLL" in WINDOWS.no_relocated_copy
    assert LINUX.no_relocated_copy is None
    assert MACOS.no_relocated_copy is None


def test_printed_commands_are_quoted_for_the_platforms_shell() -> None:
    args = ["gh", "pr", "create", "--title", 'feat: set "x" for y', "--body-file", r"C:\out\b.md"]
    assert LINUX.shell_join(args) == (
        "gh pr create --title 'feat: set \"x\" for y' --body-file 'C:\\out\\b.md'"
    )
    assert WINDOWS.shell_join(args) == (
        'gh pr create --title "feat: set \\"x\\" for y" --body-file C:\\out\\b.md'
    )
    assert MACOS.shell_join(["a b"]) == "'a b'"
