"""Bearer tokens shaped like the provider's: HS256 JWTs with an expiry.

They are stateless and signed with a secret kept in the sandbox database, so a
token survives a restart (as the provider's do) and a reset invalidates every
token at once. The lifetime is configurable so tests can watch one expire.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue(
    secret: bytes, account_id: str, user: str, lifetime: float, now: float | None = None
) -> str:
    now = time.time() if now is None else now
    header = {"alg": "HS256", "typ": "JWT"}
    payload = {
        "sub": account_id,
        "user": user,
        "iat": int(now),
        "exp": now + lifetime,
        "jti": uuid.uuid4().hex,
    }
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(mac)}"


def account_of(secret: bytes, token: str, now: float | None = None) -> str | None:
    """The account id a valid, unexpired token names; ``None`` means answer "01"."""
    claims = signed_claims(secret, token)
    if claims is None or claims.expires <= (time.time() if now is None else now):
        return None
    return claims.account_id


@dataclass(frozen=True)
class Claims:
    """What a token's valid signature vouches for: whose it is and until when."""

    account_id: str
    expires: float


def signed_claims(secret: bytes, token: str) -> Claims | None:
    """The claims of a token signed with ``secret``, expired or not; ``None`` for a
    forged, garbled or foreign one. What never changes for a token, so it may be kept."""
    try:
        head, body, mac = token.split(".")
        expected = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(mac)):
            return None
        payload: dict[str, Any] = json.loads(_unb64(body))
        expires = float(payload.get("exp", 0))
    except (ValueError, TypeError):
        return None
    sub = payload.get("sub")
    return Claims(sub, expires) if isinstance(sub, str) else None
