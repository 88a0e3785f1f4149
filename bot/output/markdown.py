"""Make untrusted model text safe to post on GitHub: defusing, clipping, fences, headlines."""

from __future__ import annotations

import re

from bot.models import Finding, Severity

# Model text is untrusted: a PR can steer the model into writing things that act on
# GitHub when posted. Neutralised here: @mentions (notify people), a forged
# `<!-- grok-review:` marker (the bot finds its own work by it), slash commands at a line
# start (`/review`), raw HTML (`<details>`, `<img>`, hidden comments) and images (tracking
# pixels). Fenced code keeps its text, since GitHub renders none of that inside a fence.

COMMENT_LIMIT = 65_536  # GitHub's limit for a comment or review body
HEADLINE_TITLE_LIMIT = 300  # a finding's title in a comment's first line
BODY_LIMIT = 20_000
SUGGESTION_LIMIT = 40_000  # a cut suggestion would be wrong code: longer ones are dropped

ICONS: dict[Severity, str] = {"critical": "🔴", "major": "🟠", "minor": "🟡", "nit": "🔵"}

_ZWSP = "\u200b"
_FORGED = re.compile(r"grok-review(\s*):", re.IGNORECASE)
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
_COMMAND = re.compile(r"^([ \t]*(?:>[ \t]*)*)/")
_MENTION = re.compile(r"(?<![\w`/@])@([A-Za-z0-9][A-Za-z0-9-]*(?:/[A-Za-z0-9_.-]+)?)")
_TICKS = re.compile(r"`+")


def _split_code_spans(line: str) -> list[tuple[bool, str]]:
    """[(is_code, text)]: a backtick run opens a span closed by a run of the same length."""
    parts: list[tuple[bool, str]] = []
    pos = done = 0
    while (m := _TICKS.search(line, pos)) is not None:
        closer = re.compile(rf"(?<!`){m.group()}(?!`)").search(line, m.end())
        if closer is None:
            pos = m.end()  # unmatched backticks are literal text
            continue
        parts.append((False, line[done : m.start()]))
        parts.append((True, line[m.start() : closer.end()]))
        pos = done = closer.end()
    parts.append((False, line[done:]))
    return [p for p in parts if p[1]]


def _defuse_prose(text: str) -> str:
    text = text.replace("<", "&lt;")  # no raw HTML: <details>, <img>, <!-- … -->
    text = text.replace("![", "[")  # an image becomes a plain link, fetched by nobody
    return _MENTION.sub(r"`@\1`", text)


def _defuse_line(line: str) -> str:
    line = _COMMAND.sub(lambda m: m.group(1) + "\\/", line)
    return "".join(t if code else _defuse_prose(t) for code, t in _split_code_spans(line))


def _closes(fence: str, run: str, rest: str) -> bool:
    return run[0] == fence[0] and len(run) >= len(fence) and not rest.strip()


def neutralize(text: str) -> str:
    """Untrusted markdown -> markdown that cannot mention, command, embed or forge markers."""
    text = _FORGED.sub(lambda m: f"grok{_ZWSP}-review{m.group(1)}:", text)
    out: list[str] = []
    fence: str | None = None
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        m = _FENCE.match(line)
        if fence is None and m and not (m.group(1)[0] == "`" and "`" in m.group(2)):
            fence = m.group(1)
            out.append(line)
        elif fence is not None:
            if m and _closes(fence, m.group(1), m.group(2)):
                fence = None
            out.append(line)
        else:
            out.append(_defuse_line(line))
    if fence is not None:
        out.append(fence)  # an open fence would swallow everything after it, marker included
    return "\n".join(out)


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending with a note of how much was cut."""
    if len(text) <= limit:
        return text
    omitted = len(text) - limit
    for _ in range(4):  # the note's own length depends on the number in it
        note = f"\n\n… (truncated, {omitted:,} characters omitted)"
        keep = limit - len(note)
        if keep < 0:
            return text[:limit]
        if len(text) - keep == omitted:
            break
        omitted = len(text) - keep
    return text[:keep] + note


def code_fence(code: str, *, info: str = "") -> str:
    """`code` in a backtick fence longer than any backtick run inside it."""
    longest = max((len(run) for run in _TICKS.findall(code)), default=0)
    fence = "`" * max(3, longest + 1)
    if code and not code.endswith("\n"):
        code += "\n"
    return f"{fence}{info}\n{code}{fence}"


def code_span(text: str) -> str:
    """`text` as an inline code span (file paths come from the PR: never trust them)."""
    text = " ".join(text.splitlines())
    longest = max((len(run) for run in _TICKS.findall(text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def headline(f: Finding) -> str:
    """`**🔴 critical · security** — Title`: severity and category at a glance."""
    title = neutralize(" ".join(clip(f.title, HEADLINE_TITLE_LIMIT).split()))
    return f"**{ICONS[f.severity]} {f.severity} · {f.category}** — {title}"


def suggestion_block(suggestion: str, *, info: str = "suggestion") -> str | None:
    """A fenced suggestion, or None when it cannot be posted as it is."""
    code = suggestion.replace("\r\n", "\n")
    if len(code) > SUGGESTION_LIMIT or _FORGED.search(code):
        # Editing code to defuse it would commit different code: offer nothing instead.
        return None
    return code_fence(code, info=info)
