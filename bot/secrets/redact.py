"""Redact well-known secret formats before text reaches the model; report committed ones."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from bot.models import DiffLine, FileDiff, Finding, Hunk
from bot.secrets.pem import edge_lines, pem_lines, pem_positions, redact_pem_line
from bot.secrets.rules import bare_values_ok
from bot.secrets.scan import TRIGGER, redact_candidate, redact_line

__all__ = ["redact_files", "redact_line", "redact_path", "redact_text"]

# Rules: precision first. A provider format (ghp_…, AKIA…, a PEM key) is a secret by its
# shape alone. A generic `NAME = value` is one only when NAME says so, the value is a literal
# that looks random, and it is no placeholder or reference. Redaction applies to every line
# the model sees (and to file names); findings only to added lines, never quoting any part
# of the secret. Every scan is linear in its input (bot.secrets.scan).

# Generic assignments in tests, examples and docs are nearly always fixtures: redacted, but
# not reported. Provider formats and private keys are reported wherever they are.
_QUIET_PATH = re.compile(
    r"(?:^|/)(?:tests?|spec|specs|__tests__|fixtures?|examples?|docs?|samples?|testdata)/"
    r"|(?:^|/)test_[^/]*$|_test\.\w+$|\.(?:spec|test)\.\w+$"
    r"|\.(?:md|rst|txt|adoc)$|\.(?:example|sample|template|dist|tmpl)$",
    re.IGNORECASE,
)
_GENERIC_KINDS = frozenset(
    {
        *("password", "secret", "token", "api-key", "aws-secret-access-key"),
        *("connection-string", "http-auth", "cookie"),
    }
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
        update: dict[str, object] = {}
        if any(a is not b for a, b in zip(hunks, file.hunks, strict=True)):
            update["hunks"] = tuple(hunks)
        for field, shown in (("path", "shown_path"), ("old_path", "shown_old_path")):
            name = getattr(file, field)
            redacted = redact_path(name) if name is not None else None
            if redacted != name:
                update[shown] = redacted
        out.append(file.model_copy(update=update) if update else file)
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


def redact_path(path: str) -> str:
    """A file name with any secret in it replaced (the model sees names in file headers)."""
    return "/".join(redact_line(part, bare_values=True)[0] for part in path.split("/"))


# --- diff hunks ------------------------------------------------------------------------


def _redact_hunk(hunk: Hunk, *, path: str, bare: bool, quiet: bool) -> tuple[Hunk, list[Finding]]:
    lines = hunk.lines
    texts = [ln.text for ln in lines]
    # Most lines hold no trigger word and no key block: find the few that do in one scan.
    # "PRIVATE KEY" is in every marker; without one, only key material at an edge can be.
    in_pem, kinds = (
        pem_lines(lines) if any("PRIVATE KEY" in t for t in texts) else (edge_lines(lines), {})
    )
    new_lines = list(lines)
    triggered = TRIGGER.lines_with_match(texts)
    for i in sorted(triggered | in_pem):
        ln = lines[i]
        if i in in_pem:
            text, found = redact_line(redact_pem_line(ln.text), bare_values=bare)
        else:
            text, found = redact_candidate(ln.text, bare_values=bare)
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
