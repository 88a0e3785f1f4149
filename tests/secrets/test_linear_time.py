"""No line a pull request can write makes redaction slow: every scan is linear in the line.

Each case used to take from half a minute to hours; a blow-up would now hang these tests
(the guard is generous on purpose: it only tells a hang from a pass).
"""

from __future__ import annotations

import base64
import time

import pytest

from bot.diff.parse import parse_diff
from bot.secrets.redact import redact_files, redact_line, redact_text

GUARD_S = 5.0
_B64URL = base64.urlsafe_b64encode(bytes(range(256)) * 900).decode()

HOSTILE_LINES = {
    "dashes and a trigger word (40 KB took 30 s)": "-a" * 15000 + " token",
    "base64url blob then key": _B64URL[:40_000] + " key",
    "300 KB of dashes": "-a" * 150_000 + " token",
    "1 MB of dashes": "-a" * 500_000 + " secret",
    "1 MB base64url then key": (_B64URL * 5)[:1_000_000] + " key",
    # Shapes for each rule, 300 KB each: many matches on one line still cost linear time.
    "dotted names": "a." * 150_000 + "token = 'x'",
    "assignments in a row": "token=" * 50_000,
    "unclosed quotes after names": "token:'x token:\"y " * 17_000,
    "type annotations without =": "key: a, b, c " * 23_000,
    "pem markers": "-----BEGIN PRIVATE KEY-----" + "-----END A " * 27_000,
    "url schemes": "a://" * 75_000 + "b:c@d",
    "joined literals": '"token=" + ' * 30_000,
    "escaped quotes": 'token="' + '\\"' * 150_000,
    "cookie pairs": "Cookie: " + "a=b; " * 60_000,
    "bearer words": "Bearer " * 43_000,
    "docker logins": "docker login " * 23_000 + " -p",
    "curl users": "curl -u a:" * 30_000,
    "mysql passwords": "mysql -p " * 33_000,
    "flags": "--token --token " * 19_000,
    "non-ASCII": "é-a" * 100_000 + " token",
}


@pytest.mark.parametrize("line", list(HOSTILE_LINES.values()), ids=list(HOSTILE_LINES))
def test_hostile_lines_are_redacted_in_linear_time(line: str) -> None:
    started = time.monotonic()
    for bare in (True, False):
        redact_line(line, bare_values=bare)
    redact_text(line)
    assert time.monotonic() - started < GUARD_S


def test_hostile_key_block_lines_do_not_stall_the_hunk_scan() -> None:
    # Inside a key block every line is checked for key material; a line of spaces used to
    # make that check backtrack for minutes (1,000 spaces: three minutes).
    lines = [
        "-----BEGIN RSA PRIVATE KEY-----",
        " " * 50_000 + "!",
        " " * 30_000 + "A" + " " * 30_000,
    ]
    lines += ["-----END RSA PRIVATE KEY-----", "  " * 40_000 + "=="]
    diff = f"--- a/k.pem\n+++ b/k.pem\n@@ -0,0 +1,{len(lines)} @@\n"
    diff += "".join(f"+{ln}\n" for ln in lines)
    started = time.monotonic()
    redact_files(parse_diff(diff))
    redact_text("\n".join(lines))
    assert time.monotonic() - started < GUARD_S


def test_a_diff_of_hostile_lines_is_redacted_in_linear_time() -> None:
    lines = list(HOSTILE_LINES.values())
    diff = f"--- a/x.env\n+++ b/x.env\n@@ -0,0 +1,{len(lines)} @@\n"
    diff += "".join(f"+{ln}\n" for ln in lines)
    files = parse_diff(diff)
    started = time.monotonic()
    redact_files(files)
    assert time.monotonic() - started < GUARD_S
