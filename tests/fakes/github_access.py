"""Who may do what on the fake GitHub, and the failures a test injects.

Tokens map to a permission ("write", "read", "write-no-checks"; installation tokens are added
as "write"); an App's JWT is checked for shape and claims, not its signature. GitHub's answers
to a missing or wrong credential (401) and to a write the token may not make (403) are here.
"""

from __future__ import annotations

import base64
import json
import re
import time
from dataclasses import dataclass
from typing import Any

from .github_http import RecordedRequest, Reply
from .github_routes import APP_ONLY, NO_AUTH
from .github_state import DOCS, ApiError

NO_ACCESS = {"message": "Resource not accessible by integration", "documentation_url": DOCS}
BAD_JWT = {"message": "A JSON web token could not be decoded", "documentation_url": DOCS}
BAD_CREDENTIALS = {"message": "Bad credentials", "documentation_url": DOCS}


@dataclass
class Injection:
    method: str
    pattern: re.Pattern[str]
    reply: Reply
    times: int
    apply_then_fail: bool


def take_injection(injections: list[Injection], request: RecordedRequest) -> Injection | None:
    """The first injection matching `request`, used once (removed when used up)."""
    for injection in injections:
        if injection.method == request.method and injection.pattern.search(request.path):
            injection.times -= 1
            if injection.times <= 0:
                injections.remove(injection)
            return injection
    return None


def authenticate(
    request: RecordedRequest, *, tokens: dict[str, str], jwt_claims: list[dict[str, Any]]
) -> str:
    """The request's permission, or ApiError 401; the claims of each App JWT are recorded."""
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    if NO_AUTH.search(request.path):
        return "download"
    if APP_ONLY.search(request.path):
        if scheme.lower() != "bearer" or not _valid_jwt(credential, jwt_claims):
            raise ApiError(401, dict(BAD_JWT))
        return "app"
    permission = tokens.get(credential) if scheme.lower() in ("token", "bearer") else None
    if permission is None:
        raise ApiError(401, dict(BAD_CREDENTIALS))
    return permission


def authorize(request: RecordedRequest, permission: str) -> None:
    """ApiError 403 for a write the permission does not allow (reads are always allowed)."""
    if request.method == "GET" or permission == "app":
        return
    checks = "/check-runs" in request.path
    if permission == "read" or (permission == "write-no-checks" and checks):
        raise ApiError(403, dict(NO_ACCESS))


def _valid_jwt(token: str, jwt_claims: list[dict[str, Any]]) -> bool:
    """Shape and claims only: the signature is not checked."""
    parts = token.split(".")
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (IndexError, ValueError):
        return False
    if len(parts) != 3 or not isinstance(claims, dict) or "iss" not in claims:
        return False
    jwt_claims.append(claims)
    # GitHub refuses an expired JWT and one that is valid for more than 10 minutes.
    expires = claims.get("exp")
    return isinstance(expires, int | float) and time.time() < expires <= time.time() + 660
