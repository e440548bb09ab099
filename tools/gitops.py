"""Git invocations with a sealed configuration, so results do not depend on the user's setup.

Reading repository state goes through GitPython; commands that change a repository go
through the runner, which logs them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import git

from tools.runner import Completed, Runner

# Commits made by the tools carry this committer. It is a label anyone can write, so nothing is
# recognised by it: cached bases and earlier applies are recognised by their content.
TOOLS_NAME = "pyo3-base-python tools"
TOOLS_EMAIL = "tools@pyo3-base-python.invalid"


def sealed_env(*, author: bool = False, date: str | None = None) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("GIT_") or key in ("GIT_SSH_COMMAND", "GIT_ASKPASS")
    }
    env.update(
        {
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_TERMINAL_PROMPT": "0",
            # refs/replace/ in a repository must not change what a commit id stands for.
            "GIT_NO_REPLACE_OBJECTS": "1",
            "GIT_COMMITTER_NAME": TOOLS_NAME,
            "GIT_COMMITTER_EMAIL": TOOLS_EMAIL,
            "LC_ALL": "C",
        }
    )
    if author:
        env["GIT_AUTHOR_NAME"] = TOOLS_NAME
        env["GIT_AUTHOR_EMAIL"] = TOOLS_EMAIL
    if date is not None:
        env["GIT_AUTHOR_DATE"] = date
        env["GIT_COMMITTER_DATE"] = date
    return env


# Options that keep the output of commands independent of repository configuration.
SEALED_OPTIONS: tuple[str, ...] = (
    "-c", "core.autocrlf=false",
    "-c", "core.filemode=true",
    "-c", "core.quotepath=false",
    "-c", "commit.gpgsign=false",
    "-c", "tag.gpgsign=false",
    "-c", "am.threeway=false",
    "-c", "am.keepcr=false",
    "-c", "init.defaultBranch=main",
    "-c", "advice.detachedHead=false",
    "-c", "protocol.file.allow=always",
    "-c", "protocol.ext.allow=never",
    "-c", "protocol.fd.allow=never",
    # Nothing in a repository's own configuration or folders may run a program.
    "-c", "core.hooksPath=" + os.devnull,
    "-c", "core.fsmonitor=false",
    "-c", "core.sshCommand=ssh",
    "-c", "core.pager=cat",
    "-c", "core.editor=false",
    "-c", "credential.helper=",
    "-c", "diff.external=",
    "-c", "uploadpack.packObjectsHook=",
)  # fmt: skip

# The same settings for GitPython's reads (status, diff, log) in checkouts the tools did not make.
_READ_OPTIONS = [SEALED_OPTIONS[i + 1] for i in range(0, len(SEALED_OPTIONS), 2)]


@dataclass(frozen=True)
class Git:
    runner: Runner

    def __call__(
        self,
        repo: Path,
        *args: str | Path,
        check: bool = True,
        author: bool = False,
        date: str | None = None,
        input_text: str | None = None,
    ) -> Completed:
        return self.runner.run(
            ["git", *SEALED_OPTIONS, "-C", repo, *args],
            env=sealed_env(author=author, date=date),
            check=check,
            input_text=input_text,
        )

    def clone(self, source: Path | str, dest: Path, *extra: str) -> Completed:
        return self.runner.run(
            ["git", *SEALED_OPTIONS, "clone", "--quiet", *extra, "--", str(source), dest],
            env=sealed_env(),
        )


def open_repo(path: Path) -> git.Repo | None:
    try:
        repo = git.Repo(path)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None
    repo.git.set_persistent_git_options(c=_READ_OPTIONS)
    repo.git.update_environment(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    return repo


def operation_in_progress(repo: git.Repo) -> str | None:
    git_dir = Path(repo.git_dir)
    for marker, what in (
        ("rebase-apply", "a `git am` or rebase"),
        ("rebase-merge", "a rebase"),
        ("MERGE_HEAD", "a merge"),
        ("CHERRY_PICK_HEAD", "a cherry-pick"),
        ("REVERT_HEAD", "a revert"),
    ):
        if (git_dir / marker).exists():
            return what
    return None


def changed_paths(repo: git.Repo) -> list[str]:
    """Tracked files with staged or unstaged changes."""
    paths = {d.a_path or d.b_path for d in repo.index.diff(None)}
    if repo.head.is_valid():
        paths |= {d.a_path or d.b_path for d in repo.index.diff("HEAD")}
    return sorted(p for p in paths if p)


def head_commit(repo: git.Repo) -> str | None:
    return repo.head.commit.hexsha if repo.head.is_valid() else None


def commits_between(repo: git.Repo, base: str, head: str) -> Sequence[git.Commit] | None:
    """The commits base..head when base is an ancestor of head, else None."""
    try:
        if not repo.is_ancestor(repo.commit(base), repo.commit(head)):
            return None
    except (git.GitCommandError, ValueError):
        return None
    return list(repo.iter_commits(f"{base}..{head}"))
