"""Whether `NAME = value` or a URL's password is a real secret: names, values, places."""

from __future__ import annotations

import re

# A generic `NAME = value` is a secret only when NAME says so, the value is a literal that
# looks random, and it is no placeholder or reference.


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


URL_CREDS = re.compile(
    r"(?<![\w+.-])[a-z][a-z0-9+.-]{1,20}://(?P<user>[^\s:/@'\"`]*):(?P<pw>[^\s@/'\"`]+)@"
    r"(?P<host>[^\s/:'\"`?#]*)"
)
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "0.0.0.0", "[::1]", "host.docker.internal")  # noqa: S104
ASSIGN = re.compile(
    r"(?<![\w])(?P<name>[A-Za-z_][\w.-]*)[\"']?\]?\s*"
    r"(?::\s*[A-Za-z_][\w.\[\]|, ]*?\s*(?==))?"  # a type annotation: `token: str = "…"`
    r"(?P<op>:=|=>|=(?!=)|:)\s*"
    r"(?P<value>\"[^\"\n]*\"|'[^'\n]*'|`[^`\n]*`|[^\s'\"`,;#]+)"
)

# Languages where a bare word after `=` is a variable, so only quoted literals count.
_CODE_EXTS = _words(
    "py pyi js jsx mjs cjs ts tsx go java kt kts scala rb rs c h cc cpp cxx hpp cs php swift "
    "dart lua ex exs r m mm groovy clj erl hs ml fs vb jl nim zig sol"
)
_PASSWORD_WORDS = ("password", "passwd", "passphrase")
_TOKEN_NOT_SECRET = _words(
    "next page continuation pagination cursor sync csrf xsrf cancel cancellation lexer "
    "parser end start eof bos eos pad unk mask sep cls special stop"
)
_KEY_SECRET = _words(
    "api secret private access auth client signing sign encryption encrypt master consumer "
    "license licence webhook session app account service subscription admin deploy hmac jwt "
    "crypto cipher aes token"
)
_KEY_NOT_SECRET = _words(
    "public pub primary foreign sort cache partition hash lookup idempotency map dict i18n "
    "translation storage object s3 row group route field column registry unique hot short "
    "shortcut keyboard index cursor redis queue lock config setting settings env name id file "
    "path dedupe dedup etag list item entry table metadata label tag test react query"
)
_PLACEHOLDER_WORDS = (
    "example", "changeme", "change_me", "change-me", "placeholder", "your_", "your-", "yourkey",
    "dummy", "redacted", "xxxx", "****", "....", "todo", "replace", "insert", "fixme", "sample",
    "_here", "-here", "${", "$(", "{{", "%(", "#{", "<", ">",
)  # fmt: skip
_NOT_VALUES = _words(
    "password undefined required optional disabled enabled secret none null true false"
)
_FILE_LIKE = re.compile(r"\.(?:json|pem|key|txt|ya?ml|env|p12|pfx|crt|cer|der|jks|toml|ini)$")
_BRACKETS = re.compile(r"[()\[\]{}<>]")
_REFERENCE = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+|[!*&$@].*")


def url_password_kind(m: re.Match[str]) -> str | None:
    user, pw, host = m.group("user"), m.group("pw"), m.group("host").lower()
    # Local and documentation hosts carry throwaway development passwords.
    if host in _LOCAL_HOSTS or host.startswith("127.") or "example" in host or pw == user:
        return None
    return "connection-string" if _looks_secret(pw, name=user, min_len=6) else None


def assignment_kind(m: re.Match[str], *, bare_values: bool) -> str | None:
    kind = _secret_name_kind(m.group("name"))
    if kind is None:
        return None
    raw = m.group("value")
    quoted = raw[:1] in "\"'`" and len(raw) >= 2
    # Unquoted, only config-like files hold literals; brackets there still mean an expression.
    if not quoted and (not bare_values or _REFERENCE.fullmatch(raw) or _BRACKETS.search(raw)):
        return None
    value = raw[1:-1] if quoted else raw
    return kind if _looks_secret(value, name=m.group("name")) else None


def _secret_name_kind(name: str) -> str | None:
    """The kind of secret a variable name announces, or None for ordinary names."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name.strip("\"'")).lower()
    parts = [p for p in re.split(r"[^a-z0-9]+", snake) if p]
    if not parts:
        return None
    last, prev = parts[-1], (parts[-2] if len(parts) > 1 else "")
    if "aws" in parts and "secret" in parts:
        return "aws-secret-access-key"
    if last in ("pwd", *_PASSWORD_WORDS) or last.endswith(_PASSWORD_WORDS):
        return "password"
    if last in ("secret", "clientsecret"):
        return "secret"
    if last in ("apikey", "secretkey", "privatekey", "accesskey"):
        return "api-key"
    if last in ("accesstoken", "authtoken", "apitoken") or (
        last == "token" and prev not in _TOKEN_NOT_SECRET
    ):
        return "token"
    # `CACHE_KEY` style env names are nearly always credentials; lowercase `cache_key` is
    # usually a dictionary key, so lowercase needs a telling qualifier.
    telling = prev in _KEY_SECRET or name.strip("\"'").isupper()
    if last == "key" and prev and prev not in _KEY_NOT_SECRET and telling:
        return "api-key"
    return None


def _looks_secret(value: str, *, name: str, min_len: int = 8) -> bool:
    """True for a literal that looks like a real credential, not a placeholder or word."""
    low = value.lower()
    if len(value) < min_len or any(c.isspace() for c in value) or low in _NOT_VALUES:
        return False
    if low.isdigit() or len(set(low)) <= 2 or any(w in low for w in _PLACEHOLDER_WORDS):
        return False
    if value.startswith(("/", "./", "../", "~/")) or "://" in value or _FILE_LIKE.search(low):
        return False
    if re.sub(r"[^a-z0-9]", "", low) in re.sub(r"[^a-z0-9]", "", name.lower()):
        return False
    has_digit = any(c.isdigit() for c in value)
    has_symbol = any(not c.isalnum() and c not in "_-." for c in value)
    mixed = len(value) >= 16 and value.lower() != value and value.upper() != value
    return has_digit or has_symbol or mixed


def bare_values_ok(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return "." not in name or name.rsplit(".", 1)[-1].lower() not in _CODE_EXTS
