"""Which fault fires on which call: rules from JSON, decided by a seeded RNG.

This module only decides; :mod:`meterai.sandbox.faultware` carries the decision
out on the wire. Each rule draws from its own ``random.Random`` seeded with
``"<seed>:<rule index>"``, and draws on every call it matches, fired or not, so
the decisions for one endpoint do not depend on how calls to other endpoints
interleave: the same seed and the same calls replay the same faults.

JSON format::

    {"seed": 7, "rules": [
      {"endpoint": "stampv2", "fault": "drop_after_commit", "count": 1, "skip": 2},
      {"endpoint": "*", "fault": "latency", "seconds": 0.2, "jitter": 0.1, "probability": 0.5},
      {"endpoint": "uploaddoc2", "fault": "bandwidth", "bytes_per_second": 50000},
      {"endpoint": "docSigningZ", "fault": "http_error", "status": 503, "retry_after": 5},
      {"endpoint": "stampv2", "fault": "queue", "calls": 3, "retry_after": 7200},
      {"endpoint": "stampv2", "fault": "queue", "seconds": 30, "retry_after": 60},
      {"endpoint": "jenisdoc", "fault": "malformed_json"},
      {"endpoint": "saldopos", "fault": "hang", "seconds": 0},
      {"endpoint": "stampv2", "fault": "rewrite_json", "path": "result.sn", "value": "../../x"},
      {"endpoint": "getfile", "fault": "append_revision"},
      {"endpoint": "getfile", "fault": "append_junk"},
      {"endpoint": "docSigningZ", "fault": "refuse_document", "count": 1},
      {"endpoint": "getfile", "fault": "huge_body", "size": 1073741824},
      {"endpoint": "getfile", "fault": "trickle", "seconds": 5},
      {"endpoint": "docSigningZ", "fault": "slow_signing", "seconds": 4}
    ]}

``rewrite_json`` lets the real answer happen (the purchase is made) and then replaces
one value of its JSON, named by a dotted path whose numeric parts index lists: a
broken or hostile provider that answers with a well-formed but wrong value.

``append_revision`` serves the stamped result with an incremental update appended that
draws on page 1, ``append_junk`` with bytes after its last ``%%EOF``: a provider (or
anything on the path) that alters the file after signing it, which the client's
verification must refuse before it calls the request done.

``refuse_document`` answers the stamping call as the signing adapter does when its
reader cannot read the upload (errorCode 90), after the serial number was bought.

``huge_body`` answers with ``size`` bytes (1 GiB by default) that start like a PDF,
made as they are sent and without a length; ``trickle`` lets the real answer happen
and sends its body one byte every ``seconds`` (5 by default), each inside any stall
timer.

``slow_signing`` makes the signing adapter take ``seconds`` more to sign, whether or not
the caller still waits: the serial number reads NOTSTAMP until the signature is made. A
client that gives up on the call meanwhile must not take that for "not stamped".
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from meterai.provider import peruri

ENDPOINTS = tuple(endpoint.name for endpoint in peruri.ENDPOINTS)
"""What a rule's ``endpoint`` may name: the provider's calls, as ``provider.peruri`` lists them."""
SHAPING = ("latency", "bandwidth", "slow_signing")
TERMINAL = (
    "drop_before_commit",
    "drop_after_commit",
    "http_error",
    "queue",
    "malformed_json",
    "truncated_json",
    "rewrite_json",
    "hang",
    "append_revision",
    "append_junk",
    "refuse_document",
    "huge_body",
    "trickle",
)
TAMPERING = ("append_revision", "append_junk")
FAULTS = SHAPING + TERMINAL


class FaultConfigError(ValueError):
    """A rule the sandbox cannot carry out; the admin API answers 400 with it."""


@dataclass(frozen=True)
class FaultRule:
    endpoint: str
    fault: str
    probability: float = 1.0
    count: int | None = None
    skip: int = 0
    seconds: float = 0.0
    jitter: float = 0.0
    bytes_per_second: int = 0
    status: int = 503
    retry_after: int | None = None
    calls: int | None = None
    position: int | None = None
    path: str | None = None
    value: Any = None
    size: int = 0

    @classmethod
    def from_json(cls, body: Any) -> FaultRule:
        if not isinstance(body, dict):
            raise FaultConfigError(f"a rule must be an object, got {body!r}")
        known = {f.name for f in fields(cls)}
        unknown = set(body) - known
        if unknown:
            raise FaultConfigError(f"unknown rule keys {sorted(unknown)}")
        try:
            rule = cls(**body)
        except TypeError as exc:
            raise FaultConfigError(str(exc)) from exc
        rule.validate()
        return rule

    def validate(self) -> None:
        if self.fault not in FAULTS:
            raise FaultConfigError(f"unknown fault {self.fault!r}; expected one of {FAULTS}")
        if self.endpoint != "*" and self.endpoint not in ENDPOINTS:
            raise FaultConfigError(
                f"unknown endpoint {self.endpoint!r}; expected '*' or one of {ENDPOINTS}"
            )
        if not 0.0 <= self.probability <= 1.0:
            raise FaultConfigError("probability must be between 0 and 1")
        if self.fault == "bandwidth" and self.bytes_per_second <= 0:
            raise FaultConfigError("bandwidth needs bytes_per_second > 0")
        if self.fault == "http_error" and self.status not in (500, 502, 503, 504, 429):
            raise FaultConfigError("http_error status must be 500, 502, 503, 504 or 429")
        if self.fault == "rewrite_json" and not self.path:
            raise FaultConfigError("rewrite_json needs path (a dotted path such as result.sn)")
        if self.fault in TAMPERING and self.endpoint != "getfile":
            raise FaultConfigError(f"{self.fault} rewrites a stamped result: endpoint getfile")
        if self.fault in ("refuse_document", "slow_signing") and self.endpoint != "docSigningZ":
            raise FaultConfigError(f"{self.fault} applies to docSigningZ only")
        if self.fault == "queue" and not (self.calls or self.seconds):
            raise FaultConfigError("queue needs calls (next K calls) or seconds (for T seconds)")

    def matches(self, endpoint: str) -> bool:
        return self.endpoint in ("*", endpoint)

    @property
    def limit(self) -> int | None:
        """How many times the rule may fire; queue mode by calls is a count in disguise."""
        if self.fault == "queue" and self.calls:
            return self.calls if self.count is None else min(self.calls, self.count)
        return self.count


@dataclass(frozen=True)
class Firing:
    """One fault that fired: enough to compare two runs of the same seed."""

    seq: int
    rule: int
    endpoint: str
    fault: str
    call: int
    rule_obj: FaultRule = field(compare=False, repr=False)
    queue_position: int | None = None
    delay: float = 0.0

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        del out["rule_obj"]
        return out


@dataclass
class _RuleState:
    rng: random.Random
    matched: int = 0
    fired: int = 0
    started_at: float | None = None


class FaultPlan:
    """The active rules and their counters; thread-safe, replaceable at run time."""

    def __init__(self, rules: list[FaultRule] | None = None, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self.seed = seed
        self.rules: list[FaultRule] = []
        self._states: list[_RuleState] = []
        self.history: list[Firing] = []
        self._seq = 0
        self.replace(rules or [], seed)

    @classmethod
    def from_json(cls, body: Any) -> FaultPlan:
        seed, rules = cls.parse(body)
        return cls(rules, seed)

    @staticmethod
    def parse(body: Any) -> tuple[int, list[FaultRule]]:
        if isinstance(body, list):
            body = {"rules": body}
        if not isinstance(body, dict):
            raise FaultConfigError("fault config must be an object with 'rules' (and 'seed')")
        seed = body.get("seed", 0)
        if not isinstance(seed, int):
            raise FaultConfigError("seed must be an integer")
        raw = body.get("rules", [])
        if not isinstance(raw, list):
            raise FaultConfigError("rules must be a list")
        return seed, [FaultRule.from_json(r) for r in raw]

    def replace(self, rules: list[FaultRule], seed: int | None = None) -> None:
        """New rules, fresh counters and RNGs, empty history: a replay starts here."""
        with self._lock:
            if seed is not None:
                self.seed = seed
            self.rules = list(rules)
            self._states = [self._state(i) for i in range(len(self.rules))]
            self.history = []
            self._seq = 0

    def add(self, rules: list[FaultRule]) -> None:
        with self._lock:
            start = len(self.rules)
            self.rules.extend(rules)
            self._states.extend(self._state(start + i) for i in range(len(rules)))

    def link_rate(self) -> int | None:
        """The slowest rate a ``bandwidth`` rule may put on a link, None without one.

        A new connection starts at this rate (see ``faultware.protocol_class``): a link is
        slow from its first byte, before its request says which endpoint it calls.
        """
        with self._lock:
            rates = [r.bytes_per_second for r in self.rules if r.fault == "bandwidth"]
        return min(rates) if rates else None

    def _state(self, index: int) -> _RuleState:
        return _RuleState(rng=random.Random(f"{self.seed}:{index}"))

    def decide(self, endpoint: str, now: float | None = None) -> list[Firing]:
        """The faults for this call: shaping ones, then at most one terminal one."""
        now = time.monotonic() if now is None else now
        fired: list[Firing] = []
        terminal_taken = False
        with self._lock:
            for index, rule in enumerate(self.rules):
                if not rule.matches(endpoint):
                    continue
                state = self._states[index]
                state.matched += 1
                draw = state.rng.random()
                jitter_draw = state.rng.random()
                if state.matched <= rule.skip:
                    continue
                limit = rule.limit
                if limit is not None and state.fired >= limit:
                    continue
                if self._queue_over(rule, state, now):
                    continue
                if draw >= rule.probability:
                    continue
                if rule.fault in TERMINAL and terminal_taken:
                    continue
                terminal_taken = terminal_taken or rule.fault in TERMINAL
                if state.started_at is None:
                    state.started_at = now
                state.fired += 1
                self._seq += 1
                firing = Firing(
                    seq=self._seq,
                    rule=index,
                    endpoint=endpoint,
                    fault=rule.fault,
                    call=state.matched,
                    rule_obj=rule,
                    queue_position=self._queue_position(rule, state, now),
                    delay=round(rule.seconds + rule.jitter * jitter_draw, 6)
                    if rule.fault in ("latency", "slow_signing")
                    else 0.0,
                )
                fired.append(firing)
                self.history.append(firing)
        return fired

    @staticmethod
    def _queue_over(rule: FaultRule, state: _RuleState, now: float) -> bool:
        if rule.fault != "queue" or rule.calls or not rule.seconds:
            return False
        return state.started_at is not None and now >= state.started_at + rule.seconds

    @staticmethod
    def _queue_position(rule: FaultRule, state: _RuleState, now: float) -> int | None:
        """A position that shrinks towards the front as calls or seconds pass."""
        if rule.fault != "queue":
            return None
        if rule.calls:
            remaining = (rule.limit or rule.calls) - state.fired + 1
        else:
            started = state.started_at if state.started_at is not None else now
            remaining = int(rule.seconds - (now - started)) + 1
        base = rule.position if rule.position is not None else 0
        return max(1, base + remaining)

    def as_json(self) -> dict[str, Any]:
        with self._lock:
            return {
                "seed": self.seed,
                "rules": [
                    {k: v for k, v in asdict(r).items() if v is not None} for r in self.rules
                ],
                "fired": [f.as_json() for f in self.history],
            }
