"""Webhook signature check: HMAC-SHA256 of the raw body, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac

_PREFIX = "sha256="


def sign_body(*, secret: str, body: bytes) -> str:
    """The `X-Hub-Signature-256` value GitHub sends for `body` (tests and benchmarks use it)."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return _PREFIX + digest


def verify_signature(*, secret: str, body: bytes, header: str | None) -> bool:
    """True when `header` is `sha256=<hex>` of `body` under `secret`."""
    if not secret or not header or not header.startswith(_PREFIX):
        return False
    given = header.encode("latin-1", "replace")
    return hmac.compare_digest(sign_body(secret=secret, body=body).encode(), given)
