"""The `tools` console script: imports the CLI inside the interrupt handling, so Ctrl-C while
the libraries load is a one-line exit 130 rather than a traceback."""

from __future__ import annotations

import sys


def entry() -> None:
    try:
        from tools.cli import main  # noqa: PLC0415 - imported here so Ctrl-C is caught
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        sys.exit(130)
    sys.exit(main())
