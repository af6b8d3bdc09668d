"""The ``meterai`` command: one module per command group, each with ``register()``."""
