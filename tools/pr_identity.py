"""Who the commits of a pull request branch belong to: the person who submits them.

The tools run git with a sealed configuration (`tools.gitops`), so the user's `user.name` and
`user.email` never reach a commit by themselves: `git am` takes the author from each patch's
`From:` line and the committer is the tools' own. For `tools pr` the identity is made explicit
instead: `--author`, else `GIT_AUTHOR_NAME`/`GIT_AUTHOR_EMAIL`, else `user.name`/`user.email` as
git reads them in the `--checkout` repository (its own config, then the user's global one). It
becomes author and committer of every commit; a patch's own `From:` survives only as a
`Co-authored-by:` trailer, and only when it names a real address.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path

from tools.errors import ConfigError
from tools.gitops import TOOLS_EMAIL
from tools.runner import Runner

# Domains reserved for examples and tests (RFC 2606, RFC 6761) or never delivered.
_RESERVED_SUFFIXES = (".invalid", ".example", ".test", ".localhost", ".local")
_EXAMPLE_DOMAINS = ("example.com", "example.org", "example.net")
# A no-reply mailbox of a forge stands for a real account; a bare one stands for nobody.
_FORGE_NOREPLY = re.compile(r"^(users\.)?noreply\.(github\.com|gitlab\.com|codeberg\.org)$")
_NOREPLY_LOCAL = re.compile(r"^(no-?reply|nobody|none|unknown|root)$", re.IGNORECASE)


@dataclass(frozen=True)
class Identity:
    name: str
    email: str

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


def placeholder_problem(identity: Identity) -> str | None:
    """Why `identity` names nobody who could answer review, or None."""
    name, email = identity.name.strip(), identity.email.strip()
    if not name:
        return "it has no name"
    if not email or email.count("@") != 1:
        return f"{email!r} is not an e-mail address"
    local, domain = email.lower().split("@")
    if not local or "." not in domain:
        return f"{email!r} is not an e-mail address"
    if email.lower() == TOOLS_EMAIL:
        return "it is the tools' own committer"
    if domain.endswith(_RESERVED_SUFFIXES) or domain in ("invalid", "example", "localhost"):
        return f"{domain} is a reserved placeholder domain"
    if domain in _EXAMPLE_DOMAINS or domain.endswith(tuple("." + d for d in _EXAMPLE_DOMAINS)):
        return f"{domain} is an example domain"
    if "noreply" in domain and not _FORGE_NOREPLY.match(domain):
        return f"{domain} is a no-reply placeholder"
    if _NOREPLY_LOCAL.match(local):
        return f"{local}@ is a no-reply placeholder"
    return None


def parse_identity(value: str, *, source: str) -> Identity:
    """`Name <email>` as given on the command line."""
    name, email = parseaddr(value)
    if not name or not email or "<" not in value or not value.isprintable():
        raise ConfigError(
            f"{source}: {value[:80]!r} is not `Name <email>`",
            hint='pass --author "Your Name <you@example.org>" with your real address',
        )
    return Identity(name.strip(), email.strip())


def _git_config(runner: Runner, checkout: Path | None, key: str) -> str:
    """`key` as git reads it for the user (not sealed): in `checkout` when it is a repository,
    else from the user's own configuration."""
    where = ["-C", str(checkout)] if checkout is not None and (checkout / ".git").exists() else []
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k == "GIT_CONFIG_GLOBAL"
    }
    result = runner.run(["git", *where, "config", "--get", key], env=env, check=False)
    return result.stdout.strip() if result.returncode == 0 else ""


def submitter(runner: Runner, *, author: str | None, checkout: Path | None) -> Identity:
    """The submitter's identity, refused (exit 2) when missing or a placeholder."""
    if author is not None:
        identity, source = parse_identity(author, source="--author"), "--author"
    elif os.environ.get("GIT_AUTHOR_NAME") and os.environ.get("GIT_AUTHOR_EMAIL"):
        identity = Identity(os.environ["GIT_AUTHOR_NAME"], os.environ["GIT_AUTHOR_EMAIL"])
        source = "GIT_AUTHOR_NAME/GIT_AUTHOR_EMAIL"
    else:
        name = _git_config(runner, checkout, "user.name")
        email = _git_config(runner, checkout, "user.email")
        identity, source = Identity(name, email), "git's user.name/user.email"
        if not name or not email:
            raise ConfigError(
                "no author for the pull request's commits: git has no user.name/user.email "
                "here and --author was not given",
                hint='pass --author "Your Name <you@your.domain>" or set git config user.email',
            )
    if (problem := placeholder_problem(identity)) is not None:
        raise ConfigError(
            f"refusing to prepare a branch authored by {str(identity)[:120]!r} ({source}): "
            f"{problem}",
            hint='the author must be you: pass --author "Your Name <you@your.domain>"',
        )
    return identity


def co_author(from_header: str) -> Identity | None:
    """A patch's `From:` as a co-author, or None when it names no real person."""
    name, email = parseaddr(" ".join(from_header.split()))
    if not name or not email:
        return None
    identity = Identity(name, email)
    return None if placeholder_problem(identity) is not None else identity
