"""Secrets that used to reach the model: more providers, headers, commands, split literals,
assignments inside URLs and commands, file names, key material without its markers."""

from __future__ import annotations

import base64
import hashlib

import pytest

from bot.diff.parse import parse_diff
from bot.diff.render import render_file
from bot.secrets.redact import redact_files, redact_line, redact_text
from tests.secrets.helpers import _all_text, _assert_gone, _diff, _files, _noise, _pem_lines

# Assembled at run time, like every fake secret in these tests.
HEX64 = hashlib.sha256(b"signing").hexdigest()
XAPP = "xa" + "pp-1-A0" + _noise("xappid", 9).upper() + "-1234567890123-" + HEX64
XOXE = "xo" + "xe-1-" + _noise("xoxe", 146)
GLPAT = "gl" + "pat-" + _noise("glpat", 20)
NPM = "np" + "m_" + _noise("npm", 36)
PYPI = "py" + "pi-AgEIcHlwaS5vcmc" + _noise("pypi", 70)
SENDGRID = "S" + "G." + _noise("sg1", 22) + "." + _noise("sg2", 43)
MAILGUN = "ke" + "y-" + hashlib.md5(b"mailgun").hexdigest()
SHOPIFY = "sh" + "pat_" + hashlib.md5(b"shopify").hexdigest()
HF = "h" + "f_" + "".join(c for c in _noise("hf", 80) if c.isalpha())[:34]
DIGITALOCEAN = "do" + "p_v1_" + HEX64
DATABRICKS = "da" + "pi" + hashlib.md5(b"databricks").hexdigest()
LINEAR = "lin" + "_api_" + _noise("linear", 40)
POSTMAN = "PM" + "AK-" + HEX64[:24] + "-" + hashlib.sha1(b"p").hexdigest()[:34]
SQUARE = "sq" + "0atp-" + _noise("square", 22)
BEARER = _noise("bearer", 40)
BASIC = base64.b64encode(b"deploy:" + _noise("basicpw", 14).encode()).decode()
DOCKER_PW = "Dk8" + _noise("docker", 17)
AZURE_KEY = _noise("azure", 86) + "=="
COOKIE = _noise("cookie", 32)
PASSPHRASE = "correct" + "horse" + "battery" + "staple"
RAILS = hashlib.sha512(b"rails").hexdigest()
GHP = "gh" + "p_" + _noise("ghp-split", 36)
API_TOKEN = "T0k" + _noise("apitoken", 29)
API_KEY = _noise("apikey", 30) + "9"

PROVIDER_LINES = [
    ("slack-token", f"SLACK_APP_TOKEN={XAPP}", XAPP),
    ("slack-token", f"refresh: {XOXE}", XOXE),
    ("gitlab-token", f'GITLAB = "{GLPAT}"', GLPAT),
    ("npm-token", f"//registry.npmjs.org/:_authToken={NPM}", NPM),
    ("pypi-token", f"password = {PYPI}", PYPI),
    ("sendgrid-key", f'sg = SendGridAPIClient("{SENDGRID}")', SENDGRID),
    ("mailgun-key", f'auth=("api", "{MAILGUN}")', MAILGUN),
    ("shopify-token", f'session = Session("{SHOPIFY}")', SHOPIFY),
    ("huggingface-token", f'login("{HF}")', HF),
    ("digitalocean-token", f'client = Client("{DIGITALOCEAN}")', DIGITALOCEAN),
    ("databricks-token", f'host_token = "{DATABRICKS}"', DATABRICKS),
    ("linear-key", f'LinearClient("{LINEAR}")', LINEAR),
    ("postman-key", f'headers["X-Api-Key"] = "{POSTMAN}"', POSTMAN),
    ("square-token", f'Client(access_token="{SQUARE}")', SQUARE),
]


@pytest.mark.parametrize(("kind", "line", "secret"), PROVIDER_LINES)
def test_more_provider_formats(kind: str, line: str, secret: str) -> None:
    files, findings = redact_files(_files(_diff("app/clients.py", [line])))
    (finding,) = findings
    assert finding.title.startswith(f"Secret committed: {kind}")
    assert f"[REDACTED:{kind}]" in files[0].hunks[0].lines[0].text
    _assert_gone(secret, _all_text(files, findings))


# (kind, line, path, the secret)
LINES = [
    ("http-auth", f'curl -H "Authorization: Bearer {BEARER}" $URL', "deploy.sh", BEARER),
    ("http-auth", f"Authorization: Basic {BASIC}", "docs/api.http", BASIC),
    ("http-auth", f'headers = {{"Authorization": "token {BEARER}"}}', "app/gh.py", BEARER),
    ("password", f"docker login -u ci -p {DOCKER_PW} registry.example.org", "ci.sh", DOCKER_PW),
    ("password", f'run: podman login --password "{DOCKER_PW}" quay.io', "ci.yml", DOCKER_PW),
    (
        "api-key",
        'conn = "DefaultEndpointsProtocol=https;AccountName=acme;'
        f'AccountKey={AZURE_KEY};EndpointSuffix=core.windows.net"',
        "Storage.cs",
        AZURE_KEY,
    ),
    ("cookie", f"Cookie: theme=dark; session={COOKIE}", "notes/request.txt", COOKIE),
    ("cookie", f"Set-Cookie: sid={COOKIE}; Path=/; HttpOnly", "server.conf", COOKIE),
    ("password", f'password = "{PASSPHRASE}"', "app/db.py", PASSPHRASE),
    ("secret", f'config.secret_key_base = "{RAILS}"', "config/application.rb", RAILS),
    ("secret", f'signing = "{HEX64}"', "app/webhooks.py", HEX64),
    ("token", f"        run: API_TOKEN={API_TOKEN} ./deploy.sh", "ci.yml", API_TOKEN),
    ("api-key", f'fetch("https://api.example.org/v1?q=1&api_key={API_KEY}&x=2")', "a.js", API_KEY),
    ("api-key", f"./tool --api-key={API_KEY} --verbose", "run.sh", API_KEY),
    ("api-key", f"./tool --api-key {API_KEY}", "run.sh", API_KEY),
    ("gitlab-token", f"AGENTS: GITLAB_TOKEN={GLPAT}", "AGENTS.yml", GLPAT),
    ("password", f"curl -u deploy:{DOCKER_PW} https://api.example.org", "run.sh", DOCKER_PW),
    ("password", f"mysqldump -uroot -p{DOCKER_PW} app > dump.sql", "backup.sh", DOCKER_PW),
    ("cookie", f'cookies = {{"sessionid": "{COOKIE}"}}', "app/client.py", COOKIE),
]


@pytest.mark.parametrize(("kind", "line", "path", "secret"), LINES)
def test_headers_commands_and_nested_assignments(
    kind: str, line: str, path: str, secret: str
) -> None:
    files, findings = redact_files(_files(_diff(path, [line])))
    text = files[0].hunks[0].lines[0].text
    assert f"[REDACTED:{kind}]" in text
    _assert_gone(secret, _all_text(files, findings))
    # Only the secret goes: the rest of the line still tells the model what happens.
    assert text == line.replace(secret, f"[REDACTED:{kind}]")


def test_split_literals_are_joined_to_find_the_token() -> None:
    half = len(GHP) // 2
    for line in (
        f'TOKEN = "{GHP[:half]}" + "{GHP[half:]}"',
        f"TOKEN = ('{GHP[:3]}' '{GHP[3:half]}' '{GHP[half:]}')",
        f'$token = "{GHP[:half]}" . "{GHP[half:]}";',
    ):
        text, kinds = redact_line(line, bare_values=False)
        assert kinds == ("github-token",)
        _assert_gone(GHP, text)
        assert text.startswith(line[: line.index(GHP[:3])] + "[REDACTED:github-token]")
    # Literals that are only neighbours (arguments) are not one string.
    assert redact_line(f'f("{GHP[:half]}", "{GHP[half:]}")', bare_values=False) == (
        f'f("{GHP[:half]}", "{GHP[half:]}")',
        (),
    )


def test_a_secret_in_a_file_name_is_redacted_where_the_model_sees_it() -> None:
    path = f"leaks/{GHP}/settings.py"
    diff = f"diff --git a/old/{GHP}.txt b/{path}\nsimilarity index 90%\n"
    diff += f"rename from old/{GHP}.txt\nrename to {path}\n--- a/old/{GHP}.txt\n+++ b/{path}\n"
    diff += "@@ -1 +1 @@\n-x = 1\n+x = 2\n"
    files, _ = redact_files(parse_diff(diff))
    (file,) = files
    assert file.path == path  # the real name stays for GitHub
    assert file.shown_path == "leaks/[REDACTED:github-token]/settings.py"
    assert file.shown_old_path == "old/[REDACTED:github-token].txt"
    header = render_file(file).splitlines()[0]
    assert header == (
        "### File: leaks/[REDACTED:github-token]/settings.py "
        "(renamed from old/[REDACTED:github-token].txt)"
    )
    _assert_gone(GHP, render_file(file))


def test_key_material_whose_markers_are_outside_the_hunk_is_redacted() -> None:
    body = _pem_lines()[1:-1]
    middle = body[2:6]
    diff = (
        "--- a/deploy/key.pem\n+++ b/deploy/key.pem\n@@ -10,4 +10,4 @@\n"
        f" {middle[0]}\n-{middle[1]}\n+{body[0]}\n {middle[2]}\n {middle[3]}\n"
    )
    files, findings = redact_files(parse_diff(diff))
    assert {ln.text for ln in files[0].hunks[0].lines} == {"[REDACTED:private-key]"}
    assert findings == ()  # without its markers it may be a certificate: redacted, not reported
    for line in [*middle, body[0]]:
        _assert_gone(line, _all_text(files, findings))


NEGATIVE = [
    ("docs/auth.md", "Basic auth is enough for the internal dashboard."),
    ("docs/auth.md", "Bearer tokens expire after one hour."),
    ("ci.sh", 'docker login -u ci -p "$REGISTRY_PASSWORD" registry.example.org'),
    ("ci.sh", "echo $PW | docker login --password-stdin -u ci registry"),
    ("run.sh", 'curl -u "$API_USER:$API_PASSWORD" https://api.example.org'),
    ("db.sh", "mysql -u root -p app"),
    ("app/views.py", 'session_id = request.cookies.get("sid")'),
    ("notes.txt", "Cookie: theme=dark; lang=en"),
    ("config/locales/de.yml", "  password: Passwort"),
    ("app/cli.py", 'parser.add_argument("--token", help="the API token")'),
    ("app/ops.go", "msg.Send(ctx, payload)"),
    ("app/login.py", "def login(user, password):"),
    ("app/hashes.py", 'DIGESTS = ["' + HEX64 + '", "' + hashlib.sha256(b"x").hexdigest() + '"]'),
    ("app/a.py", 'if token == "expected":'),
    ("app/a.py", "x = 'it' 's'"),
]


@pytest.mark.parametrize(("path", "line"), NEGATIVE)
def test_new_rules_leave_look_alikes_alone(path: str, line: str) -> None:
    original = _files(_diff(path, [line]))
    assert redact_files(original) == (original, ())


def test_hex_digests_at_a_hunk_edge_are_not_taken_for_key_material() -> None:
    digests = [f'    "{hashlib.sha256(str(i).encode()).hexdigest()}",' for i in range(4)]
    original = _files(_diff("app/digests.py", digests))
    assert redact_files(original) == (original, ())


def test_redact_text_covers_the_new_rules_too() -> None:
    text = f"Deploy with `docker login -p {DOCKER_PW}` and header Authorization: Bearer {BEARER}"
    out = redact_text(text)
    _assert_gone(DOCKER_PW, out)
    _assert_gone(BEARER, out)
    assert out.count("[REDACTED:") == 2
