"""Secret redaction: every well-known format is replaced and reported, look-alikes are not."""

from __future__ import annotations

import hashlib

import pytest

from bot.secrets.redact import redact_files
from tests.secrets.helpers import (
    AWS_ID,
    AWS_SECRET,
    DB_PASSWORD,
    GENERIC,
    GHP,
    GHS,
    GITHUB_PAT,
    GOOGLE,
    JWT,
    OPENAI,
    PASSWORD,
    SLACK,
    STRIPE,
    XAI,
    _all_text,
    _assert_gone,
    _diff,
    _files,
    _noise,
)

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
