"""Fake secrets assembled at run time, and diffs that carry them, for the redaction tests.

Every fake secret is assembled at run time so that no file holds a string that a secret
scanner (ours or GitHub's) would flag.
"""

from __future__ import annotations

import base64
import hashlib

from bot.diff.parse import parse_diff
from bot.models import FileDiff, Finding


def _noise(seed: str, n: int) -> str:
    """Deterministic random-looking alphanumerics."""
    out = ""
    counter = 0
    while len(out) < n:
        digest = hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        out += base64.b64encode(digest).decode().replace("+", "").replace("/", "").rstrip("=")
        counter += 1
    return out[:n]


GHP = "ghp_" + _noise("ghp", 36)
GHS = "gh" + "s_" + _noise("ghs", 36)
GITHUB_PAT = "github_" + "pat_" + _noise("pat1", 22) + "_" + _noise("pat2", 59)
AWS_ID = "AK" + "IA" + _noise("aws", 16).upper()
AWS_SECRET = _noise("awssecret", 30) + "/" + _noise("aws2", 9)
SLACK = "xo" + "xb-" + "1234567890-" + _noise("slack", 24)
STRIPE = "sk" + "_live_" + _noise("stripe", 24)
GOOGLE = "AI" + "za" + _noise("google", 35)
OPENAI = "sk-" + "proj-" + _noise("openai", 40) + "9"
XAI = "xai" + "-" + _noise("xai", 70) + "7"
JWT = "ey" + "JhbGciOiJIUzI1NiJ9." + "ey" + "JzdWIiOiIxMjM0NTY3ODkwIn0." + _noise("jwt", 43)
DB_PASSWORD = "Zq8" + _noise("dbpw", 13)
GENERIC = _noise("generic", 28) + "42"
PASSWORD = "hunter2" + "!" + _noise("pw", 6)


def _pem_lines(kind: str = "RSA PRIVATE") -> list[str]:
    body = base64.b64encode(hashlib.sha512(kind.encode()).digest() * 4).decode()
    return [
        "-----BEGIN " + kind + " KEY-----",
        *[body[i : i + 64] for i in range(0, len(body), 64)],
        "-----END " + kind + " KEY-----",
    ]


def _diff(path: str, added: list[str], *, context: list[str] | None = None) -> str:
    context = context or []
    header = f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n"
    hunk = f"@@ -1,{len(context)} +1,{len(context) + len(added)} @@\n"
    lines = [f" {c}" for c in context] + [f"+{a}" for a in added]
    return header + hunk + "\n".join(lines) + "\n"


def _files(*diffs: str) -> tuple[FileDiff, ...]:
    return parse_diff("".join(diffs))


def _all_text(files: tuple[FileDiff, ...], findings: tuple[Finding, ...]) -> str:
    return "\n".join([f.model_dump_json() for f in files] + [f.model_dump_json() for f in findings])


def _assert_gone(secret: str, text: str) -> None:
    """No 10-character window of the secret survives anywhere in `text`."""
    for i in range(len(secret) - 9):
        assert secret[i : i + 10] not in text, f"part of a secret survived: {secret[i : i + 10]!r}"
