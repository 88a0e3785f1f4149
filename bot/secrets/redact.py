"""Redact well-known secret formats before text reaches the model; report committed ones."""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from bot.models import DiffLine, FileDiff, Finding, Hunk
from bot.secrets.pem import (
    PEM_INLINE,
    inline_pem_kind,
    pem_lines,
    pem_positions,
    placeholder,
    redact_pem_line,
)
from bot.secrets.rules import (
    ASSIGN,
    URL_CREDS,
    assignment_kind,
    bare_values_ok,
    url_password_kind,
)

# Rules: precision first. A provider format (ghp_…, AKIA…, a PEM key) is a secret by its
# shape alone. A generic `NAME = value` is one only when NAME says so, the value is a literal
# that looks random, and it is no placeholder or reference. Redaction applies to every line
# the model sees; findings only to added lines, never quoting any part of the secret.


_TOKENS: tuple[tuple[str, str], ...] = (
    ("github-token", r"(?<!\w)(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_\w{22,255})(?!\w)"),
    ("aws-access-key-id", r"(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])"),
    ("slack-token", r"(?<![A-Za-z0-9])xox[abprs]-[A-Za-z0-9-]{10,}"),
    ("slack-webhook", r"https://hooks\.slack\.com/services/T\w+/B\w+/\w+"),
    ("stripe-key", r"(?<![A-Za-z0-9])[sr]k_live_[A-Za-z0-9]{16,}"),
    ("google-api-key", r"(?<![\w-])AIza[\w-]{35}(?![\w-])"),
    ("xai-key", r"(?<![\w-])xai-(?=[A-Za-z0-9]*\d)[A-Za-z0-9]{32,}"),
    # sk-… with a digit in it, so "sk-learn"-like words and long kebab names do not match.
    ("openai-key", r"(?<![\w-])sk-(?=[\w-]*\d)[\w-]{20,}"),
    ("jwt", r"(?<![\w-])eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}"),
)
_TOKEN_RE = re.compile("|".join(f"(?P<t{i}>{p})" for i, (_, p) in enumerate(_TOKENS)))
# Generic assignments in tests, examples and docs are nearly always fixtures: redacted, but
# not reported. Provider formats and private keys are reported wherever they are.
_QUIET_PATH = re.compile(
    r"(?:^|/)(?:tests?|spec|specs|__tests__|fixtures?|examples?|docs?|samples?|testdata)/"
    r"|(?:^|/)test_[^/]*$|_test\.\w+$|\.(?:spec|test)\.\w+$"
    r"|\.(?:md|rst|txt|adoc)$|\.(?:example|sample|template|dist|tmpl)$",
    re.IGNORECASE,
)
_GENERIC_KINDS = frozenset(
    {"password", "secret", "token", "api-key", "aws-secret-access-key", "connection-string"}
)

# Every pattern above needs one of these; most lines have none, so they skip the full scan.
_TRIGGER = re.compile(
    r"(?i:key|secret|token|pass|pwd)|gh[pousr]_|github_pat_|AKIA|ASIA|xox[abprs]-|k_live_"
    r"|AIza|xai-|sk-|eyJ|://"
)
# The same words lowercased, to scan a lowercased hunk at once: a case-insensitive
# alternation scans text about ten times slower than this case-sensitive one.
_TRIGGER_LOWER = re.compile(
    r"key|secret|token|pass|pwd|gh[pousr]_|github_pat_|akia|asia|xox[abprs]-|k_live_"
    r"|aiza|xai-|sk-|eyj|://"
)


def redact_files(
    files: Sequence[FileDiff],
) -> tuple[tuple[FileDiff, ...], tuple[Finding, ...]]:
    """Files with every secret replaced by `[REDACTED:<kind>]`, and a finding per added line
    that commits one."""
    out: list[FileDiff] = []
    findings: list[Finding] = []
    for file in files:
        bare = bare_values_ok(file.path)
        quiet = bool(_QUIET_PATH.search(file.path))
        hunks, found_here = [], []
        for hunk in file.hunks:
            new_hunk, found = _redact_hunk(hunk, path=file.path, bare=bare, quiet=quiet)
            hunks.append(new_hunk)
            found_here.extend(found)
        findings.extend(_tell_apart(found_here))
        changed = any(a is not b for a, b in zip(hunks, file.hunks, strict=True))
        out.append(file.model_copy(update={"hunks": tuple(hunks)}) if changed else file)
    return tuple(out), tuple(findings)


_ORDINALS = ("second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth")


def _tell_apart(findings: Sequence[Finding]) -> list[Finding]:
    """Two secrets whose redacted lines read the same (two keys in one file) would share a
    fingerprint, and the second would be dropped as a repeat; its title says which it is.
    (Words, not digits: fingerprints ignore digits in titles.)"""
    seen: dict[str, int] = {}
    out = []
    for f in findings:
        key = " ".join(f.code.split())
        count = seen[key] = seen.get(key, 0) + 1
        if count > 1:
            which = _ORDINALS[count - 2] if count - 2 < len(_ORDINALS) else "another"
            f = f.model_copy(update={"title": f"{f.title} ({which} like it in this file)"})
        out.append(f)
    return out


def redact_text(text: str) -> str:
    """`text` (a PR title, description or instructions) with every secret replaced."""
    lines = text.splitlines(keepends=True)
    bodies = [ln.rstrip("\r\n") for ln in lines]
    in_pem, _ = pem_positions(bodies)
    out = []
    for pos, (line, body) in enumerate(zip(lines, bodies, strict=True)):
        redacted = redact_pem_line(body) if pos in in_pem else body
        out.append(redact_line(redacted, bare_values=True)[0] + line[len(body) :])
    return "".join(out)


def redact_line(text: str, *, bare_values: bool = True) -> tuple[str, tuple[str, ...]]:
    """One line with its secrets replaced, and the kinds found (in order, no repeats)."""
    if not _TRIGGER.search(text):
        return text, ()
    kinds: list[str] = []
    text = _sub(PEM_INLINE, text, kinds, kind_of=inline_pem_kind)
    text = _sub(_TOKEN_RE, text, kinds, kind_of=_token_kind)
    text = _sub(URL_CREDS, text, kinds, kind_of=url_password_kind, group="pw")

    def kind_of_assignment(m: re.Match[str]) -> str | None:
        return assignment_kind(m, bare_values=bare_values)

    text = _sub(ASSIGN, text, kinds, kind_of=kind_of_assignment, group="value")
    return text, tuple(kinds)


def _sub(
    pattern: re.Pattern[str],
    text: str,
    kinds: list[str],
    *,
    kind_of: Callable[[re.Match[str]], str | None],
    group: str | int = 0,
) -> str:
    """Replace `group` of each match that `kind_of` names a secret (a quoted value keeps
    its quotes), adding the kinds to `kinds`."""

    def replace(m: re.Match[str]) -> str:
        kind = kind_of(m)
        if kind is None:
            return m.group(0)
        if kind not in kinds:
            kinds.append(kind)
        start, end = m.span(group)
        value = m.group(group)
        if len(value) >= 2 and value[0] in "\"'`" and value[-1] == value[0]:
            start, end = start + 1, end - 1
        return m.group(0)[: start - m.start()] + placeholder(kind) + m.group(0)[end - m.start() :]

    return pattern.sub(replace, text)


def _token_kind(m: re.Match[str]) -> str | None:
    # AWS documents AKIAIOSFODNN7EXAMPLE and friends; they are public, not leaks.
    if m.lastgroup is None or "EXAMPLE" in m.group(0).upper():
        return None
    return _TOKENS[int(m.lastgroup[1:])][0]


# --- diff hunks ------------------------------------------------------------------------


def _redact_hunk(hunk: Hunk, *, path: str, bare: bool, quiet: bool) -> tuple[Hunk, list[Finding]]:
    lines = hunk.lines
    texts = [ln.text for ln in lines]
    joined = "\n".join(texts)
    # Most lines hold no trigger word and no key block: find the few that do in one scan.
    in_pem, kinds = pem_lines(lines) if "PRIVATE KEY" in joined else (set(), {})  # in every marker
    new_lines = list(lines)
    for i in sorted(_trigger_lines(joined, texts) | in_pem):
        ln = lines[i]
        text = redact_pem_line(ln.text) if i in in_pem else ln.text
        text, found = redact_line(text, bare_values=bare)
        if ln.kind == "added":
            line_kinds = kinds.setdefault(i, [])
            for kind in found:
                if kind not in line_kinds and not (quiet and kind in _GENERIC_KINDS):
                    line_kinds.append(kind)
        if text != ln.text:
            new_lines[i] = replace(ln, text=text)
    section = redact_line(hunk.section, bare_values=bare)[0]
    findings = [_finding(path, new_lines[i], ks) for i, ks in sorted(kinds.items()) if ks]
    if section == hunk.section and all(a is b for a, b in zip(new_lines, lines, strict=True)):
        return hunk, findings
    return hunk.model_copy(update={"lines": tuple(new_lines), "section": section}), findings


def _trigger_lines(joined: str, texts: Sequence[str]) -> set[int]:
    """Indices of the lines (joined by newlines) where a trigger word occurs."""
    low = joined.lower()
    if len(low) != len(joined):  # a few characters lowercase to two; offsets would drift
        return {i for i, text in enumerate(texts) if _TRIGGER.search(text)}
    starts = list(itertools.accumulate((len(t) + 1 for t in texts), initial=0))
    return {bisect.bisect_right(starts, m.start()) - 1 for m in _TRIGGER_LOWER.finditer(low)}


def _finding(path: str, line: DiffLine, kinds: Sequence[str]) -> Finding:
    assert line.new_no is not None  # only added lines get findings
    names = ", ".join(kinds)
    return Finding(
        path=path,
        line=line.new_no,
        side="RIGHT",
        severity="critical",
        category="secret",
        confidence=0.99,
        title=f"Secret committed: {names}",
        body=(
            f"This line commits a credential ({names}). Anyone who can read the repository, "
            "its forks or clones can use it. Revoke or rotate it now: deleting it in a later "
            "commit is not enough, because it stays in the git history. Remove it from the "
            "history (for example with `git filter-repo`) and load the value at run time from "
            "a secret store or an environment variable instead. The value was redacted before "
            "review and is not shown here."
        ),
        code=line.text,
    )
