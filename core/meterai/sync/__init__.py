"""Drives each accepted request through the provider's protocol: never burn, never twice."""
