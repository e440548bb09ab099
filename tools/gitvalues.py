"""Values that reach git are data: URLs, tag and branch names are checked before git sees them.

The ref rules are git's own (`git check-ref-format`), written out as a pure function so they can
be tested without starting git. Every refusal names the value and where it came from.
"""

from __future__ import annotations

import re

from tools.errors import ConfigError, quoted

# Characters git never allows in a ref name: controls, space, DEL and ~ ^ : ? * [ \
_FORBIDDEN = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]")
_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://")
# Transports git reaches through `<name>::<address>` (ext::, fd::, remote helpers).
_HELPER = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*::")
SAFE_SCHEMES = ("https", "file")
OVERRIDE_SCHEMES = ("https", "file", "http", "ssh", "git", "git+ssh", "ssh+git")


def ref_problem(name: str) -> str | None:
    """Why `name` is not a valid full ref name (git check-ref-format), or None."""
    if not name:
        return "it is empty"
    if name == "@":
        return "it is '@'"
    if match := _FORBIDDEN.search(name):
        return f"it contains {match.group()!r}"
    if ".." in name:
        return "it contains '..'"
    if "@{" in name:
        return "it contains '@{'"
    if name.startswith("/") or name.endswith("/") or "//" in name:
        return "it has an empty path component"
    if name.endswith("."):
        return "it ends with '.'"
    for component in name.split("/"):
        if component.startswith("."):
            return f"the component {quoted(component)} starts with '.'"
        if component.endswith(".lock"):
            return f"the component {quoted(component)} ends with '.lock'"
    return None


# The longest branch or tag name accepted, in bytes. git stores a ref as a file named after its
# last component (and a `.lock` file beside it while writing), and file systems allow 255 bytes
# per name; 200 keeps every component well inside that, and reflogs and remote-tracking refs
# (`refs/remotes/<remote>/<name>`) inside the whole path's limit.
MAX_REF_BYTES = 200


def _short_name_problem(kind: str, name: str) -> str | None:
    size = len(name.encode("utf-8", errors="surrogateescape"))
    if size > MAX_REF_BYTES:
        return f"it is {size} bytes long; at most {MAX_REF_BYTES} are accepted"
    if name.startswith("-"):
        return "it starts with '-'"
    if name == "HEAD":
        return "it is 'HEAD'"
    return ref_problem(f"refs/{kind}/{name}")


def check_branch(name: str, *, source: str) -> str:
    """A branch name as `git check-ref-format --branch` accepts it; `source` says who gave it."""
    if (problem := _short_name_problem("heads", name)) is not None:
        raise ConfigError(
            f"{source}: branch name {quoted(name)} is not allowed: {problem}",
            hint="use a name `git check-ref-format --branch` accepts",
        )
    return name


def check_tag(name: str, *, source: str) -> str:
    if (problem := _short_name_problem("tags", name)) is not None:
        raise ConfigError(
            f"{source}: tag {quoted(name)} is not allowed: {problem}",
            hint="use a tag name `git check-ref-format` accepts",
        )
    return name


def url_problem(url: str, *, allow_any: bool = False) -> str | None:
    """Why git must not be handed `url` as a repository, or None.

    Accepted: https:// and file:// URLs and plain local paths; with `allow_any`, also http, ssh,
    git and scp-like `host:path` addresses. Never: anything git could read as an option, a
    remote-helper transport (`ext::`, `fd::`, ...), or control characters.
    """
    if not url:
        return "it is empty"
    if url.startswith("-"):
        return "it starts with '-' and would be read as an option"
    if re.search(r"[\x00-\x1f\x7f]", url):
        return "it contains control characters"
    if _HELPER.match(url):
        return "it names a remote-helper transport (`<transport>::<address>`)"
    if match := _SCHEME.match(url):
        scheme = match["scheme"].lower()
        allowed = OVERRIDE_SCHEMES if allow_any else SAFE_SCHEMES
        if scheme not in allowed:
            return f"the scheme {quoted(scheme)} is not one of {', '.join(allowed)}"
        return None
    colon, slash = url.find(":"), url.find("/")
    if colon != -1 and (slash == -1 or colon < slash) and not allow_any:
        return "git would read it as an ssh address (`host:path`)"
    return None


def check_url(url: str, *, source: str, allow_any: bool = False) -> str:
    if (problem := url_problem(url, allow_any=allow_any)) is not None:
        hint = "give an https:// or file:// URL or a local path"
        if not allow_any and not url.startswith("-"):
            hint += "; --allow-any-url also accepts http, ssh and git addresses"
        raise ConfigError(f"{source}: git URL {quoted(url)} is refused: {problem}", hint=hint)
    return url
