"""Meterai Desk's Qt-free core: documents, outbox, provider, sync, sandbox and the CLI."""

__version__ = "0.1.0"
