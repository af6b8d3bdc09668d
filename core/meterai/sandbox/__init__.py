"""The local provider service: the e-Meterai API on loopback, real signing, faults, a ledger."""

from meterai.sandbox.faults import FaultPlan, FaultRule
from meterai.sandbox.server import NotLoopback, SandboxServer

__all__ = ["FaultPlan", "FaultRule", "NotLoopback", "SandboxServer"]
