"""Secret redaction: every well-known format is replaced and reported, look-alikes are not."""

from __future__ import annotations

import base64
import hashlib

import pytest

from bot.diff.parse import parse_diff
from bot.models import FileDiff, Finding
from bot.review.findings import dedupe, fingerprint
from bot.secrets.redact import redact_files, redact_line, redact_text

# Every fake secret is assembled at run time so this file never holds a string that a
# secret scanner (ours or GitHub's) would flag.


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


PROVIDER_CASES = [
    ("github-token", f'GH = "{GHP}"'),
    ("github-token", f"token: {GHS}"),
    ("github-token", f"export GH_PAT={GITHUB_PAT}"),
    ("aws-access-key-id", f"aws_access_key_id = {AWS_ID}"),
    ("slack-token", f'client = WebClient("{SLACK}")'),
    ("stripe-key", f"stripe.api_key = '{STRIPE}'"),
    ("google-api-key", f'const url = "https://maps.example/api?key={GOOGLE}";'),
    ("openai-key", f'OpenAI(api_key="{OPENAI}")'),
    ("xai-key", f"XAI_API_KEY={XAI}"),
    ("jwt", f'headers = {{"Authorization": "Bearer {JWT}"}}'),
]


@pytest.mark.parametrize(("kind", "line"), PROVIDER_CASES)
def test_provider_formats_are_redacted_and_reported(kind: str, line: str) -> None:
    files, findings = redact_files(_files(_diff("app/settings.py", ["x = 1", line])))
    (finding,) = findings
    assert finding.path == "app/settings.py"
    assert finding.line == 2
    assert finding.side == "RIGHT"
    assert finding.severity == "critical"
    assert finding.category == "secret"
    assert finding.confidence == pytest.approx(0.99)
    assert kind in finding.title
    assert f"[REDACTED:{kind}]" in finding.code
    assert finding.code == files[0].hunks[0].lines[1].text
    assert files[0].hunks[0].lines[0].text == "x = 1"  # untouched line kept as it was
    secret = line.split("=", 1)[-1] if kind == "aws-access-key-id" else line
    for value in (GHP, GHS, GITHUB_PAT, AWS_ID, SLACK, STRIPE, GOOGLE, OPENAI, XAI, JWT):
        if value in secret:
            _assert_gone(value, _all_text(files, findings))


GENERIC_CASES = [
    ("password", f'DB_PASSWORD = "{PASSWORD}"', "app/db.py"),
    ("password", f"password: {PASSWORD}", "deploy/values.yaml"),
    ("password", f'  "password": "{PASSWORD}",', "config/app.json"),
    ("password", f"spring.datasource.password={PASSWORD}", "src/main/application.properties"),
    ("api-key", f"STRIPE_API_KEY={GENERIC}", ".env"),
    ("api-key", f'const apiKey = "{GENERIC}";', "web/client.ts"),
    ("secret", f"client_secret: '{GENERIC}'", "config/oauth.yml"),
    ("token", f'self.access_token = "{GENERIC}"', "app/api.py"),
    ("token", f'token: str = "{GENERIC}"', "app/api.py"),
    ("aws-secret-access-key", f"aws_secret_access_key = {AWS_SECRET}", ".aws/credentials"),
    ("connection-string", f"DATABASE_URL=postgres://app:{DB_PASSWORD}@db.internal:5432/x", ".env"),
]


@pytest.mark.parametrize(("kind", "line", "path"), GENERIC_CASES)
def test_generic_assignments_are_redacted_and_reported(kind: str, line: str, path: str) -> None:
    files, findings = redact_files(_files(_diff(path, [line])))
    (finding,) = findings
    assert finding.title == f"Secret committed: {kind}"
    text = files[0].hunks[0].lines[0].text
    assert f"[REDACTED:{kind}]" in text
    for value in (PASSWORD, GENERIC, AWS_SECRET, DB_PASSWORD):
        if value in line:
            _assert_gone(value, _all_text(files, findings))
    # Only the value is replaced: the name (what the model needs to understand) stays.
    value = next(v for v in (PASSWORD, GENERIC, AWS_SECRET, DB_PASSWORD) if v in line)
    assert text == line.replace(value, f"[REDACTED:{kind}]")


NEGATIVE_LINES = [
    ("app/tokens.py", "token_count = 3"),
    ("app/tokens.py", "max_tokens = 100000"),
    ("app/lexer.py", "def next_token(self, token):"),
    ("app/lexer.py", 'next_token = "eyJpYWdlIjoyfQ"'),
    ("app/lexer.py", "# read the token from the environment before calling the API"),
    ("app/auth.py", 'password = os.environ["DB_PASSWORD"]'),
    ("app/auth.py", 'token = os.getenv("GITHUB_TOKEN")'),
    ("app/auth.py", "password = getpass.getpass()"),
    ("app/auth.py", "token = None"),
    ("app/auth.py", 'SECRET = ""'),
    ("app/auth.py", "api_key = settings.API_KEY"),
    ("app/auth.py", 'if password == "":'),
    ("app/auth.py", 'password_hash = "pbkdf2_sha256$260000$c2FsdA$aGFzaA"'),
    ("app/cache.py", 'cache_key = "user-profile-1234"'),
    ("app/cache.py", 'request_id = "550e8400-e29b-41d4-a716-446655440000"'),
    ("app/ssh.py", 'public_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7dGq user@host"'),
    ("app/ml.py", 'eos_token = "<|endoftext|>"'),
    ("app/pem.py", 'HEADER = "-----BEGIN RSA PRIVATE KEY-----"'),
    ("app/pem.py", "    if line.startswith(HEADER):"),
    (".env", "API_KEY=${API_KEY}"),
    (".env", "PASSWORD=changeme"),
    (".env", "SECRET_KEY=<your-secret-key>"),
    (".env", "GITHUB_TOKEN=xxxxxxxxxxxxxxxxxxxx"),
    (".env", "DATABASE_URL=postgres://user:${DB_PASSWORD}@db:5432/app"),
    (".env", "DATABASE_URL=postgres://postgres:s3cretpass@localhost:5432/app"),
    (".github/workflows/ci.yml", "          token: ${{ secrets.GITHUB_TOKEN }}"),
    ("config/locales/de.yml", "  password: Passwort"),
    ("config/locales/en.yml", '  password: "Enter your password"'),
    ("docs/aws.md", "Set aws_access_key_id to " + "AKIA" + "IOSFODNN7" + "EXAMPLE."),
    ("src/tasks.py", 'TASK = "task-2024-release-candidate-build"'),
    ("src/tasks.py", 'name = "sk-learn-compat"'),
    ("package-lock.json", '      "integrity": "sha512-' + _noise("lock", 86) + '==",'),
    ("Cargo.lock", 'checksum = "' + hashlib.sha256(b"crate").hexdigest() + '"'),
    (
        "poetry.lock",
        '    {file = "x.whl", hash = "sha256:' + hashlib.sha256(b"w").hexdigest() + '"},',
    ),
    ("go.sum", "golang.org/x/text v0.14.0 h1:ScX5w1eTa3QqT8oi6+ziP7dTV1S2+ALU0bI+0zXKWiQ="),
]


@pytest.mark.parametrize(("path", "line"), NEGATIVE_LINES)
def test_look_alikes_are_left_alone(path: str, line: str) -> None:
    original = _files(_diff(path, [line]))
    files, findings = redact_files(original)
    assert findings == ()
    assert files[0].hunks[0].lines[0].text == line
    assert files == original


def test_multi_line_pem_block_is_redacted_line_by_line_with_one_finding() -> None:
    pem = _pem_lines()
    added = ["KEY = '''", *pem, "'''", "print('loaded')"]
    files, findings = redact_files(_files(_diff("app/keys.py", added, context=["import os"])))
    texts = [ln.text for ln in files[0].hunks[0].lines]
    assert texts[0] == "import os"
    assert texts[1] == "KEY = '''"
    block = texts[2 : 2 + len(pem)]
    assert all(t == "[REDACTED:private-key]" for t in block)
    assert texts[-2:] == ["'''", "print('loaded')"]
    (finding,) = findings  # one finding per key, not one per line of it
    assert finding.line == 3  # the BEGIN line in the new file
    assert finding.title == "Secret committed: private-key"
    for body_line in pem[1:-1]:
        _assert_gone(body_line, _all_text(files, findings))


def test_pem_block_with_headers_inside_yaml_and_orphan_end() -> None:
    pem = _pem_lines("EC PRIVATE")
    yaml_lines = ["tls:", "  key: |", *(f"    {p}" for p in pem), "  port: 443"]
    files, findings = redact_files(_files(_diff("deploy/values.yaml", yaml_lines)))
    texts = [ln.text for ln in files[0].hunks[0].lines]
    assert texts[2:-1] == ["    [REDACTED:private-key]"] * len(pem)
    assert texts[-1] == "  port: 443"
    assert len(findings) == 1
    # A hunk that starts inside a key shows its END but not its BEGIN.
    tail = pem[3:]
    files, findings = redact_files(_files(_diff("certs/server.key", ["x"], context=tail)))
    texts = [ln.text for ln in files[0].hunks[0].lines]
    assert texts[: len(tail)] == ["[REDACTED:private-key]"] * len(tail)
    assert findings == ()  # the key was already there; only added lines are reported
    for body_line in tail[:-1]:
        _assert_gone(body_line, _all_text(files, findings))


def test_replaced_key_redacts_removed_and_added_blocks() -> None:
    old, new = _pem_lines("OPENSSH PRIVATE"), _pem_lines("RSA PRIVATE")
    body = "".join(f"-{o}\n+{n}\n" for o, n in zip(old, new, strict=True))
    n = len(old)
    diff = f"--- a/id_rsa\n+++ b/id_rsa\n@@ -1,{n} +1,{n} @@\n{body}"
    files, findings = redact_files(parse_diff(diff))
    assert all(ln.text == "[REDACTED:private-key]" for ln in files[0].hunks[0].lines)
    assert [f.line for f in findings] == [1]
    for line in old[1:-1] + new[1:-1]:
        _assert_gone(line, _all_text(files, findings))


def test_single_line_pem_in_json_is_redacted() -> None:
    pem = "\\n".join(_pem_lines("PRIVATE"))
    line = f'  "private_key": "{pem}\\n",'
    files, findings = redact_files(_files(_diff("sa.json", [line])))
    text = files[0].hunks[0].lines[0].text
    assert text == '  "private_key": "[REDACTED:private-key]\\n",'
    assert [f.title for f in findings] == ["Secret committed: private-key"]


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


def test_code_that_only_names_the_pem_marker_is_not_a_key() -> None:
    lines = [
        'HEADER = "-----BEGIN RSA PRIVATE KEY-----"',
        "",
        "def is_key(text):",
        "    return text.startswith(HEADER)",
    ]
    original = _files(_diff("app/pem.py", lines))
    files, findings = redact_files(original)
    assert (files, findings) == (original, ())


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


def test_two_keys_in_one_file_are_two_findings_with_their_own_fingerprints() -> None:
    # Both key blocks redact to the same placeholder line; without telling them apart the
    # second would share the first's fingerprint and be dropped as a repeat.
    pem = _pem_lines()
    other = _pem_lines("EC PRIVATE")
    lines = ["KEYS = '''", *pem, "'''", "BACKUP = '''", *other, "'''"]
    files, findings = redact_files(_files(_diff("deploy/keys.py", lines)))
    assert [f.line for f in findings] == [2, len(pem) + 4]
    prints = {fingerprint(f, files) for f in findings}
    assert len(prints) == 2
    kept = dedupe([f.model_copy(update={"fingerprint": fingerprint(f, files)}) for f in findings])
    assert len(kept) == 2
    assert "second like it" in findings[1].title
