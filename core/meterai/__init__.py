"""Meterai Desk's Qt-free core: documents, outbox, provider, sync, sandbox and the CLI."""

import sys

__version__ = "0.1.0"

# httpx imports its own command line (click, rich, pygments: 60-90 ms of CPU at every
# start of a process that talks to the provider) whenever those are installed, and no
# meterai process runs it. A None entry fails that import as httpx expects when they are
# missing (its ``main`` then says how to install them). A no-op once httpx is imported.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
