"""Secrets known by their shape: provider tokens, URL passwords, HTTP auth, `docker login -p`.

Every pattern runs on RE2 (bot.linear), so a scan is linear in the line whatever it holds.
RE2 has no lookarounds: a rule's `before` characters are matched outside the secret's group
(standing in for a lookbehind) and its `after` characters are checked here, on the character
after the match; runs are greedy, so nothing valid hides inside a rejected match. The prefixes
follow the providers' documented formats (gitleaks' rule set served as the list to cover).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from bot.linear import Found, LinearPattern
from bot.secrets.rules import looks_secret, url_password_kind

Hit = tuple[int, int, str]  # start, end (str positions of the secret itself), kind

_ALNUM = "A-Za-z0-9"
_WORD = "A-Za-z0-9_"
_WORD_DASH = "A-Za-z0-9_-"


@dataclass(frozen=True)
class _Rule:
    kind: str
    body: str  # RE2: the secret itself
    before: str = ""  # a character class body: characters that may not come just before
    after: str = ""  # … and that may not come just after
    max_len: int = 0  # 0 = no limit
    digit: bool = False  # must hold a digit (tells keys from kebab-case words)
    mixed: bool = False  # must hold upper- and lowercase letters


_RULES: tuple[_Rule, ...] = (
    _Rule("github-token", r"gh[pousr]_[A-Za-z0-9]{36,}", _WORD, _WORD, max_len=259),
    _Rule("github-token", r"github_pat_[A-Za-z0-9_]{22,}", _WORD, _WORD, max_len=266),
    _Rule("aws-access-key-id", r"(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}", _ALNUM, _ALNUM),
    _Rule(
        "slack-token", r"(?:xox[abeoprs]|xapp)(?:\.xox[bp])?-[A-Za-z0-9-]{10,}", _ALNUM, digit=True
    ),
    _Rule(
        "slack-webhook", r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[\w/+-]{20,}"
    ),
    _Rule("stripe-key", r"[sr]k_live_[A-Za-z0-9]{16,}", _ALNUM),
    _Rule("google-api-key", r"AIza[\w-]{35}", _WORD_DASH, _WORD_DASH),
    _Rule("xai-key", r"xai-[A-Za-z0-9]{32,}", _WORD_DASH, digit=True),
    # sk-… with a digit in it, so "sk-learn"-like words and long kebab names do not match.
    _Rule("openai-key", r"sk-[\w-]{20,}", _WORD_DASH, digit=True),
    _Rule("jwt", r"eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}", _WORD_DASH),
    _Rule(
        "gitlab-token",
        r"(?:gl(?:pat|dt|ptt|rt|cbt|soat|ffct|oas|imt|ft|agent|wt)-|GR1348941)[\w-]{20,}"
        r"(?:\.[\w-]+)*",
        _WORD_DASH,
        digit=True,
    ),
    _Rule("npm-token", r"npm_[A-Za-z0-9]{36}", _WORD, _WORD),
    _Rule("pypi-token", r"pypi-AgEIcHlwaS5vcmc[\w-]{50,}", _WORD_DASH),
    _Rule("sendgrid-key", r"SG\.[\w-]{22}\.[\w-]{43}", _WORD_DASH, _WORD_DASH),
    _Rule("mailgun-key", r"key-[0-9a-f]{32}", _WORD_DASH, _WORD),
    _Rule("shopify-token", r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}", _WORD, _WORD),
    _Rule("huggingface-token", r"hf_[A-Za-z]{34}", _WORD, _WORD, mixed=True),
    _Rule("digitalocean-token", r"do[opr]_v1_[a-f0-9]{64}", _WORD, _WORD),
    _Rule("databricks-token", r"dapi[a-f0-9]{32}(?:-[0-9])?", _WORD, _WORD, digit=True),
    _Rule("linear-key", r"lin_api_[A-Za-z0-9]{40}", _WORD, _WORD),
    _Rule("postman-key", r"PMAK-[a-f0-9]{24}-[a-f0-9]{34}", _WORD_DASH, _WORD),
    _Rule("square-token", r"sq0(?:atp|csp)-[\w-]{22,}", _WORD_DASH),
    _Rule("age-secret-key", r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}", _WORD_DASH),
)


def _alternative(i: int, rule: _Rule) -> str:
    group = f"(?P<t{i}>{rule.body})"
    return f"(?:^|[^{rule.before}]){group}" if rule.before else group


_NAMES = tuple(f"t{i}" for i in range(len(_RULES)))
_TOKENS = LinearPattern("|".join(_alternative(i, r) for i, r in enumerate(_RULES)))
_AFTER = {r.after: re.compile(f"[{r.after}]") for r in _RULES if r.after}
_UPPER, _LOWER, _DIGIT = re.compile("[A-Z]"), re.compile("[a-z]"), re.compile("[0-9]")

URL_CREDS = LinearPattern(
    r"[a-z][a-z0-9+.-]*://(?P<user>[^\s:/@'\"`]*):(?P<pw>[^\s@/'\"`]+)@(?P<host>[^\s/:'\"`?#]*)"
)
# `Authorization: Bearer …`, `Basic …` (base64 of user:password), `Authorization: token …`.
_HTTP_AUTH = LinearPattern(
    r"(?:^|[^\w-])(?:(?i:bearer)[ \t]+(?P<bearer>[\w.~+/-]+=*)"
    r"|(?i:basic)[ \t]+(?P<basic>[A-Za-z0-9+/]+={0,2})"
    r"|(?i:authorization)[\"']?[ \t]*[:=][ \t]*[\"']?(?i:token)[ \t]+(?P<token>[\w.~+/-]+=*))"
)
# `docker login -u me -p s3cret registry` and its relatives; `curl -u user:s3cret`;
# `mysql -ps3cret` (the password glued to the option).
_LOGIN = LinearPattern(
    r"(?:(?i:docker|podman|nerdctl|buildah|skopeo|oras|crane|helm[ \t]+registry)[ \t]+"
    r"(?i:login)[^\n;&|]*?[ \t](?:-p|--password)(?:=|[ \t]+)"
    r"(?P<pw>\"[^\"\n]*\"|'[^'\n]*'|[^\s\"';&|]+)"
    r"|(?i:curl)[^\n;&|]*?[ \t](?:-u|--user)(?:=|[ \t]+)[\"']?[^\s\"':]*:(?P<curl>[^\s\"';&|]+)"
    r"|(?i:mysql|mysqldump|mariadb|mysqladmin)[^\n;&|]*?[ \t]-p(?P<mysql>[^\s\"';&|]+))"
)
_LOGIN_NOT = re.compile(r"[$%]|-")  # a variable or the next option, not a password


def find_formats(text: str, low: str) -> Iterator[Hit]:
    """Every secret on the line recognised by its shape, left to right per family.

    `low` is the line lowercased: families whose words it lacks are not scanned.
    """
    yield from _provider_tokens(text)
    for m in URL_CREDS.finditer(text) if "://" in text else ():
        kind = url_password_kind(m.text_of("user"), m.text_of("pw"), m.text_of("host"))
        if kind:
            yield (*m.span("pw"), kind)
    if "bearer" in low or "basic" in low or "authorization" in low:
        for m in _HTTP_AUTH.finditer(text):
            yield from _http_auth(m)
    for m in _LOGIN.finditer(text) if "login" in low or "curl" in low or "mysql" in low else ():
        group = m.first_of(("pw", "curl", "mysql")) or "pw"
        start, end = _unquoted(m, group)
        if end - start >= 6 and not _LOGIN_NOT.match(text, start):
            yield start, end, "password"


def _provider_tokens(text: str) -> Iterator[Hit]:
    for m in _TOKENS.finditer(text):
        name = m.first_of(_NAMES)
        if name is None:
            continue
        rule = _RULES[int(name[1:])]
        start, end = m.span(name)
        value = text[start:end]
        if _accepts(rule, value) and not (rule.after and _AFTER[rule.after].match(text, end)):
            yield start, end, rule.kind


def _accepts(rule: _Rule, value: str) -> bool:
    # Documentation values (AWS's AKIAIOSFODNN7EXAMPLE and friends) are public, not leaks.
    if "EXAMPLE" in value.upper() or (rule.max_len and len(value) > rule.max_len):
        return False
    if rule.digit and not _DIGIT.search(value):
        return False
    return not rule.mixed or bool(_UPPER.search(value) and _LOWER.search(value))


def _http_auth(m: Found) -> Iterator[Hit]:
    for group, check in _AUTH_CHECKS:
        if m.span(group)[0] >= 0:
            value = m.text_of(group)
            if check(value):
                yield (*m.span(group), "http-auth")
            return


def _basic_credentials(value: str) -> bool:
    """Base64 of `user:password`, the only thing a Basic header carries."""
    try:
        decoded = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    _user, colon, password = decoded.partition(b":")
    return bool(colon and password and len(value) >= 8)


_AUTH_CHECKS: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("bearer", lambda v: looks_secret(v, name="bearer", min_len=12)),
    ("basic", _basic_credentials),
    ("token", lambda v: looks_secret(v, name="token", min_len=12)),
)


def _unquoted(m: Found, group: str) -> tuple[int, int]:
    start, end = m.span(group)
    if end - start >= 2 and m.text[start] in "\"'" and m.text[end - 1] == m.text[start]:
        return start + 1, end - 1
    return start, end
