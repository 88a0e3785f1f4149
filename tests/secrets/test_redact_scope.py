"""What is redacted and what reported: every line vs added lines, fixtures, headers, text."""

from __future__ import annotations

from bot.diff.parse import parse_diff
from bot.secrets.redact import redact_files, redact_line, redact_text
from tests.secrets.helpers import (
    AWS_ID,
    GENERIC,
    GHP,
    GHS,
    PASSWORD,
    SLACK,
    STRIPE,
    _assert_gone,
    _diff,
    _files,
    _pem_lines,
)


def test_only_added_lines_get_findings_but_every_line_is_redacted() -> None:
    diff = (
        "--- a/.env\n+++ b/.env\n@@ -1,3 +1,3 @@\n"
        f" GITHUB_TOKEN={GHP}\n-STRIPE={STRIPE}\n+STRIPE_KEY=${{STRIPE}}\n"
        f" SLACK_BOT={SLACK}\n"
    )
    files, findings = redact_files(parse_diff(diff))
    assert findings == ()
    assert [ln.text for ln in files[0].hunks[0].lines] == [
        "GITHUB_TOKEN=[REDACTED:github-token]",
        "STRIPE=[REDACTED:stripe-key]",
        "STRIPE_KEY=${STRIPE}",
        "SLACK_BOT=[REDACTED:slack-token]",
    ]


def test_two_secrets_on_one_line_give_one_finding_naming_both() -> None:
    line = f"creds = ['{AWS_ID}', '{GHP}']"
    files, findings = redact_files(_files(_diff("app/x.py", [line])))
    (finding,) = findings
    assert finding.title == "Secret committed: aws-access-key-id, github-token"  # line order
    assert files[0].hunks[0].lines[0].text == (
        "creds = ['[REDACTED:aws-access-key-id]', '[REDACTED:github-token]']"
    )


def test_fixture_paths_redact_generic_values_without_reporting_them() -> None:
    diffs = _diff("tests/test_login.py", [f'PASSWORD = "{PASSWORD}"', f'TOKEN = "{GHP}"'])
    files, findings = redact_files(_files(diffs))
    assert [ln.text for ln in files[0].hunks[0].lines] == [
        'PASSWORD = "[REDACTED:password]"',
        'TOKEN = "[REDACTED:github-token]"',
    ]
    # A real provider token is reported even in tests; a fixture password is not.
    assert [(f.line, f.title) for f in findings] == [(2, "Secret committed: github-token")]


def test_secret_in_hunk_section_header_is_redacted() -> None:
    diff = f'--- a/a.py\n+++ b/a.py\n@@ -1,1 +1,1 @@ KEY = "{GHP}"\n-a\n+b\n'
    files, _ = redact_files(parse_diff(diff))
    assert files[0].hunks[0].section == 'KEY = "[REDACTED:github-token]"'


def test_files_without_secrets_are_returned_unchanged() -> None:
    original = _files(_diff("a.py", ["def f():", "    return 1"]))
    files, findings = redact_files(original)
    assert findings == ()
    assert files[0] is original[0]


def test_redact_text_keeps_line_endings_and_handles_pem_blocks() -> None:
    pem = _pem_lines()
    text = "Fixes login.\r\n\r\nUse token " + GHP + "\r\n" + "\n".join(pem) + "\nThanks"
    out = redact_text(text)
    assert out.startswith("Fixes login.\r\n\r\nUse token [REDACTED:github-token]\r\n")
    assert out.endswith("\n[REDACTED:private-key]\nThanks")
    assert out.count("\n") == text.count("\n")
    for secret in [GHP, *pem[1:-1]]:
        _assert_gone(secret, out)
    assert redact_text(out) == out  # idempotent: redacting twice changes nothing


def test_redact_text_accepts_bare_values_and_leaves_prose() -> None:
    prose = "This PR renames token_count and documents the password reset flow."
    assert redact_text(prose) == prose
    assert redact_text(f"set API_KEY={GENERIC} first") == "set API_KEY=[REDACTED:api-key] first"


def test_code_files_need_quoted_values_config_files_do_not() -> None:
    assert redact_line("password = hunter2_value9", bare_values=False) == (
        "password = hunter2_value9",
        (),
    )
    assert redact_line("password = hunter2_value9", bare_values=True) == (
        "password = [REDACTED:password]",
        ("password",),
    )


def test_long_minified_lines_are_scanned() -> None:
    # Shaped to trip regex backtracking (many `name: value` pairs on one line); a blow-up
    # would hang this test rather than pass.
    line = ", ".join(f"key{i}: value{i}" for i in range(5000)) + f", token: '{GHP}'"
    text, kinds = redact_line(line)
    assert kinds == ("github-token",)
    assert text == line.replace(GHP, "[REDACTED:github-token]")


def test_lines_after_characters_that_lowercase_longer_are_still_scanned() -> None:
    # "İ" lowercases to two characters, so the one-pass scan of a lowercased hunk would
    # point at the wrong lines; the per-line fallback must find the secret anyway.
    lines = ["name = '" + "İ" * 100 + "'", "x = 1", f'GH = "{GHP}"', "y = 2"]
    files, findings = redact_files(_files(_diff("app/ids.py", lines)))
    texts = [ln.text for ln in files[0].hunks[0].lines]
    assert texts[2] == 'GH = "[REDACTED:github-token]"'
    assert texts[:2] + texts[3:] == lines[:2] + lines[3:]
    assert [(f.line, f.title) for f in findings] == [(3, "Secret committed: github-token")]


def test_secrets_in_a_long_hunk_are_found_on_their_own_lines() -> None:
    # The hunk is scanned in one pass; each hit must map back to its exact line.
    lines = [f"value_{i} = compute({i})" for i in range(300)]
    lines[7] = f"aws = '{AWS_ID}'"
    lines[299] = f"Token = '{GHS}'"
    files, findings = redact_files(_files(_diff("app/many.py", lines)))
    texts = [ln.text for ln in files[0].hunks[0].lines]
    changed = [i for i, (a, b) in enumerate(zip(lines, texts, strict=True)) if a != b]
    assert changed == [7, 299]
    assert [f.line for f in findings] == [8, 300]
