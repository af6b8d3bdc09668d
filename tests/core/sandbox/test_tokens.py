"""The sandbox's bearer tokens: signed, expiring, and worthless under another secret."""

from __future__ import annotations

import base64
import json

from meterai.sandbox.tokens import account_of, issue

SECRET = b"s" * 32
NOW = 1_800_000_000.0


def test_a_token_names_its_account_until_it_expires() -> None:
    token = issue(SECRET, "acc-1", "demo", lifetime=60, now=NOW)
    assert account_of(SECRET, token, now=NOW) == "acc-1"
    assert account_of(SECRET, token, now=NOW + 59.9) == "acc-1"
    assert account_of(SECRET, token, now=NOW + 60) is None


def test_a_reset_secret_invalidates_every_token() -> None:
    token = issue(SECRET, "acc-1", "demo", lifetime=60, now=NOW)
    assert account_of(b"t" * 32, token, now=NOW) is None


def test_a_forged_payload_is_refused() -> None:
    head, body, mac = issue(SECRET, "acc-1", "demo", lifetime=60, now=NOW).split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=="))
    payload["sub"] = "acc-2"
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    assert account_of(SECRET, f"{head}.{forged}.{mac}", now=NOW) is None


def test_garbage_is_an_expired_token_answer_not_an_exception() -> None:
    for junk in ("", "a.b", "a.b.c", "x" * 500, "...."):
        assert account_of(SECRET, junk, now=NOW) is None


def test_two_tokens_for_one_login_differ() -> None:
    assert issue(SECRET, "a", "u", 60, now=NOW) != issue(SECRET, "a", "u", 60, now=NOW)
