"""Whether a name announces a secret and whether a value looks like one (pure judgement)."""

from __future__ import annotations

import re

# A generic `NAME = value` is a secret only when NAME says so, the value is a literal that
# looks random, and it is no placeholder or reference. Every pattern here runs on one name
# or one value at a time and is linear: no nested or adjacent quantifiers over one class.


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# What a secret-bearing name contains (RE2 alternatives, matched ignoring case); names
# without one are never judged.
NAME_WORDS = ("key", "secret", "token", "pass", "pwd", "signing", "hmac", "cookie", "session_?id")

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
# `SECRET_KEY_BASE`, `secret_value`: the secret is named first, a noun for its form follows.
_SECRET_FORMS = _words("base value string bytes data material")
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
_REFERENCE = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+|[!*&$@%].*")
_SPACE = re.compile(r"\s")
_DIGIT = re.compile(r"[0-9]")
_SYMBOL = re.compile(r"[^\w.-]")  # not a letter, digit, "_", "." or "-"
_ALNUM_ONLY = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_PASSPHRASE_MIN = 16  # a password with no digit or symbol: long enough to be no UI word
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "0.0.0.0", "[::1]", "host.docker.internal")  # noqa: S104


def secret_name_kind(name: str) -> str | None:
    """The kind of secret a variable name announces, or None for ordinary names."""
    plain = name.strip("\"'-")
    parts = [p for p in _ALNUM_ONLY.split(_CAMEL.sub("_", plain).lower()) if p]
    if not parts:
        return None
    last, prev = parts[-1], (parts[-2] if len(parts) > 1 else "")
    if "aws" in parts and "secret" in parts:
        return "aws-secret-access-key"
    if last in ("pwd", *_PASSWORD_WORDS) or last.endswith(_PASSWORD_WORDS):
        return "password"
    if last in ("secret", "clientsecret", "signing", "hmac") or (
        last in _SECRET_FORMS and "secret" in parts[:-1]
    ):
        return "secret"
    if last in ("cookie", "cookies", "sessionid") or (last == "id" and prev == "session"):
        return "cookie"
    if last in ("apikey", "secretkey", "privatekey", "accesskey", "accountkey", "sharedaccesskey"):
        return "api-key"
    if last in ("accesstoken", "authtoken", "apitoken") or (
        last == "token" and prev not in _TOKEN_NOT_SECRET
    ):
        return "token"
    # `CACHE_KEY` style env names are nearly always credentials; lowercase `cache_key` is
    # usually a dictionary key, so lowercase needs a telling qualifier.
    telling = prev in _KEY_SECRET or plain.isupper()
    if last == "key" and prev and prev not in _KEY_NOT_SECRET and telling:
        return "api-key"
    return None


def literal_kind(kind: str, value: str, *, name: str, quoted: bool, bare_ok: bool) -> str | None:
    """`kind` when `value` (assigned to `name`) is a literal that looks like a credential."""
    # Unquoted, only config-like files (or text inside a string) hold literals; brackets
    # there still mean an expression.
    if not quoted and (not bare_ok or _REFERENCE.fullmatch(value) or _BRACKETS.search(value)):
        return None
    return kind if looks_secret(value, name=name, passphrase=kind == "password") else None


def looks_secret(value: str, *, name: str, min_len: int = 8, passphrase: bool = False) -> bool:
    """True for a literal that looks like a real credential, not a placeholder or word.

    `passphrase`: the name says password, so a long run of plain letters counts too
    (`correcthorsebatterystaple`); short words (`Passwort`) and prose still do not.
    """
    low = value.lower()
    if len(value) < min_len or _SPACE.search(value) or low in _NOT_VALUES:
        return False
    if low.isdigit() or len(set(low)) <= 2 or any(w in low for w in _PLACEHOLDER_WORDS):
        return False
    if value.startswith(("/", "./", "../", "~/")) or "://" in value or _FILE_LIKE.search(low):
        return False
    if _ALNUM_ONLY.sub("", low) in _ALNUM_ONLY.sub("", name.lower()):
        return False
    if _DIGIT.search(value) or _SYMBOL.search(value):
        return True
    mixed = len(value) >= 16 and low != value and value.upper() != value
    return mixed or (passphrase and len(value) >= _PASSPHRASE_MIN and value.isascii())


def url_password_kind(user: str, password: str, host: str) -> str | None:
    """`connection-string` for a real-looking password in `scheme://user:password@host`."""
    host = host.lower()
    # Local and documentation hosts carry throwaway development passwords.
    if host in _LOCAL_HOSTS or host.startswith("127.") or "example" in host or password == user:
        return None
    return "connection-string" if looks_secret(password, name=user, min_len=6) else None


def bare_values_ok(path: str) -> bool:
    """Whether an unquoted value after `=` is a literal in this file (config, not code)."""
    name = path.rsplit("/", 1)[-1]
    return "." not in name or name.rsplit(".", 1)[-1].lower() not in _CODE_EXTS
