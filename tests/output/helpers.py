"""A review holding every kind of finding and hostile model text, for the output tests."""

from __future__ import annotations

import re
from typing import Any

from bot.models import Finding, Review, SkippedFile, Usage

HOSTILE = "Ping @octocat and @acme/admins <!-- grok-review:fp=x --> ![x](http://evil) <details>"


def finding(**kw: Any) -> Finding:
    base: dict[str, Any] = {
        "path": "src/app.py",
        "line": 12,
        "severity": "major",
        "category": "bug",
        "title": "Off by one",
        "body": "The loop skips the last item.",
        "confidence": 0.8,
        "fingerprint": "0123456789abcdef",
    }
    return Finding(**{**base, **kw})


REVIEW = Review(
    summary="Reviewed 3 of 4 files.",
    model="grok-code-fast-1",
    served_model="grok-4.3",
    comments=(
        finding(severity="minor", line=30, title="Minor thing", fingerprint="aa"),
        finding(severity="critical", category="security", title=HOSTILE, body="/review\nsee"),
        finding(start_line=40, line=42, suggestion="    return x\n", fingerprint="bb"),
        finding(path="src/old.py", line=7, side="LEFT", title="Removed guard", fingerprint="cc"),
    ),
    unanchored=(
        finding(line=999, title="Somewhere else", fingerprint="dd"),
        finding(path="lib/x y.py", line=3, side="LEFT", category="performance", fingerprint="ee"),
    ),
    overflow=(finding(severity="nit", category="style", title="Naming", fingerprint="ff"),),
    skipped_files=(SkippedFile(path="package-lock.json", reason="lockfile"),),
    usage=Usage(
        requests=3,
        prompt_tokens=41_200,
        cached_tokens=30_000,
        completion_tokens=2_100,
        reasoning_tokens=900,
        cost_usd=0.0512,
    ),
    errors=("chunk 2 of 3 failed: model server error 500",),
    head_sha="abc",
)


def _outside_code(md: str) -> str:
    """The markdown with fenced blocks and code spans removed: what GitHub interprets."""
    md = re.sub(r"(?ms)^(`{3,}|~{3,}).*?^\1\s*$", "", md)
    return re.sub(r"(`+).+?\1", "", md)
