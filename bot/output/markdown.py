"""Make untrusted model text safe to post on GitHub: defusing, clipping, fences, headlines."""

from __future__ import annotations

import bisect
import re

from bot.models import Finding, Severity

# Model text is untrusted: a PR can steer the model into writing things that act on GitHub
# when posted: @mentions (notify people), references to issues and pull requests (`#12`,
# `GH-12`, `owner/repo#12`, an issue URL: each puts a "mentioned this" event on the issue
# it names), a forged `<!-- grok-review:` marker (the bot finds
# its own work by it), slash commands at a line start (`/review`), raw HTML (`<details>`,
# `<img>`, hidden comments) and images (tracking pixels).
#
# Defused by construction, not by spotting the bad parts: the text is rebuilt from pieces
# whose markdown meaning we choose. Fenced code blocks become our own fences (longer than any
# backtick run inside, so nothing in them closes them early); code spans become our own code
# spans; http(s) URLs become `<autolinks>`; a mention becomes a code span (`@name` shows, but
# notifies nobody), and so does an issue reference (a URL naming an issue or pull request
# too, instead of an autolink); everything else is text in which each character that can
# start HTML, an entity, an image, a link, a code span or a fence (\ ` < [ ] & ~) is
# backslash-escaped, and a line cannot start with `/`. Emphasis, lists, headings and quotes
# stay as written: they cannot do anything, and a reviewer's prose still reads as prose. A
# forged marker is broken up everywhere, code included, since markers are found in the raw
# text.

COMMENT_LIMIT = 65_536  # GitHub's limit for a comment or review body
HEADLINE_TITLE_LIMIT = 300  # a finding's title in a comment's first line
BODY_LIMIT = 20_000
SUGGESTION_LIMIT = 40_000  # a cut suggestion would be wrong code: longer ones are dropped

ICONS: dict[Severity, str] = {"critical": "🔴", "major": "🟠", "minor": "🟡", "nit": "🔵"}

_ZWSP = "\u200b"
_FORGED = re.compile(r"grok-review(\s*):", re.IGNORECASE)
_FENCE = re.compile(r"( {0,3})(`{3,}|~{3,})(.*)")
_INFO = re.compile(r"[\w+#.-]{1,30}")  # a language name; any other info string is dropped
_TICKS = re.compile(r"`+")
# Where plain copying stops: an escape, a backtick, a URL, a mention or a character to escape.
_SPECIAL = re.compile(r"[\\`<\[\]&~@]|https?://|#(?=\d)|GH-(?=\d)")
_URL_CHARS = re.compile(r"[^\s<>\"'`\\]*")
_URL_TAIL = ".,:;!?*_~'\")"
_REFERENCE = re.compile(r"(?:#|GH-)\d+")
_ISSUE_URL = re.compile(r"/(?:issues|pull|pulls|discussions)/\d")
_MENTION = re.compile(r"@[A-Za-z0-9][A-Za-z0-9-]*(?:/[A-Za-z0-9_.-]+)?")
_ESCAPED = "\\`<[]&~"
_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
# After one of these an `@` notifies nobody (an e-mail address). Not `_` or `*`: as emphasis
# they vanish from the rendered text, and the `@` then starts it.
_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def neutralize(text: str) -> str:
    """Untrusted markdown -> markdown that cannot mention, command, embed or forge markers."""
    text = _FORGED.sub(lambda m: f"grok{_ZWSP}-review{m.group(1)}:", text)
    # Every line break Python knows (U+2028 too): a tool reading the raw text by lines must
    # not find a line starting with `/review` either.
    lines = text.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        opened = _FENCE.fullmatch(lines[i])
        if opened and not (opened.group(2)[0] == "`" and "`" in opened.group(3)):
            i = _fenced_block(lines, i, opened, out)
        else:
            out.append(_prose_line(lines[i]))
            i += 1
    return "\n".join(out)


def neutralize_inline(text: str) -> str:
    """Untrusted text for one line of ours (a headline, a list item): prose only, no blocks."""
    text = _FORGED.sub(lambda m: f"grok{_ZWSP}-review{m.group(1)}:", " ".join(text.split()))
    return _prose_line(text)


def _fenced_block(lines: list[str], i: int, opened: re.Match[str], out: list[str]) -> int:
    """Emit the fence opened at lines[i] as our own; return the index after its end."""
    indent, run, info = len(opened.group(1)), opened.group(2), opened.group(3).strip()
    body: list[str] = []
    i += 1
    while i < len(lines):
        if _closes(_FENCE.fullmatch(lines[i]), run):
            i += 1
            break
        line = lines[i]
        body.append(line[min(indent, len(line) - len(line.lstrip(" "))) :])
        i += 1
    # Unclosed, it ends where the text ends: an open fence would swallow what follows.
    # Only our own suggestion_block may offer a one-click change: a `suggestion` fence in model
    # text would bypass the checks its range and content get, so it is shown as plain code.
    allowed = _INFO.fullmatch(info) and info.lower() != "suggestion"
    out.append(code_fence("\n".join(body), info=info if allowed else ""))
    return i


def _closes(m: re.Match[str] | None, run: str) -> bool:
    """A closing fence: the opener's character, at least as many, nothing after."""
    return (
        m is not None
        and m.group(2)[0] == run[0]
        and len(m.group(2)) >= len(run)
        and (not m.group(3).strip())
    )


def _prose_line(line: str) -> str:
    """One line of text rebuilt from pieces whose meaning we choose (see above)."""
    return _Line(line).build()


class _Line:
    """Builds one line; pieces are emitted left to right, each scanned once."""

    def __init__(self, line: str) -> None:
        self.line = line.strip()  # leading spaces could make an indented code block
        self.out: list[str] = []
        self.code_at = -1  # len(out) right after the last code span we emitted
        runs = [(m.start(), m.end()) for m in _TICKS.finditer(self.line)]
        self.runs: dict[int, list[int]] = {}  # backtick run length -> starts, ascending
        for start, end in runs:
            self.runs.setdefault(end - start, []).append(start)

    def build(self) -> str:
        line = self.line
        pos = len(line) - len(line.lstrip("> \t"))
        self.out.append(line[:pos])  # blockquote markers are harmless
        if line[pos : pos + 1] == "/":  # `/review` must never start a line
            self.out.append("\\/")
            pos += 1
        while (m := _SPECIAL.search(line, pos)) is not None:
            if m.start() > pos:
                self.out.append(line[pos : m.start()])
            pos = self._piece(m.start(), m.group())
        self.out.append(line[pos:])
        return "".join(self.out)

    def _piece(self, at: int, found: str) -> int:
        """Emit the piece at `at` (what _SPECIAL found); return where the next one begins."""
        line = self.line
        if found == "\\":
            nxt = line[at + 1 : at + 2]
            if nxt == "@":  # `\@name` renders as `@name`: a mention all the same
                return self._mention(at + 1)
            if nxt and nxt in _PUNCTUATION:  # the model's own escape stays one (`\/review`)
                self.out.append("\\" + nxt)
                return at + 2
            self.out.append("\\\\")
            return at + 1
        if found == "`":
            return self._code_span(at)
        if found.startswith("http"):
            return self._url(at)
        if found == "@":
            return self._mention(at)
        if found in ("#", "GH-"):
            ref = _REFERENCE.match(self.line, at)
            assert ref is not None  # _SPECIAL only stops here before a digit
            self._code(ref.group())
            return ref.end()
        self.out.append("\\" + found)
        return at + 1

    def _code(self, content: str) -> None:
        if self.code_at == len(self.out):
            self.out.append(" ")  # two code spans side by side would merge their backticks
        self.out.append(code_span(content))
        self.code_at = len(self.out)

    def _code_span(self, at: int) -> int:
        """A backtick run opens a code span closed by the next run of the same length."""
        run = _TICKS.match(self.line, at)
        assert run is not None
        starts = self.runs.get(run.end() - at, [])
        i = bisect.bisect_right(starts, at)
        if i == len(starts):  # unmatched: literal backticks
            self.out.append("\\`" * (run.end() - at))
            return run.end()
        self._code(self.line[run.end() : starts[i]])
        return starts[i] + run.end() - at

    def _url(self, at: int) -> int:
        line = self.line
        scheme = line.index("://", at) + 3
        m = _URL_CHARS.match(line, scheme)
        end = m.end() if m else scheme
        unclosed = line.count(")", at, end) - line.count("(", at, end)
        while end > scheme and line[end - 1] in _URL_TAIL:
            if line[end - 1] == ")":
                if unclosed <= 0:
                    break  # a balanced parenthesis belongs to the URL (Wikipedia links)
                unclosed -= 1
            end -= 1
        if end == scheme:
            self.out.append(line[at:scheme])
            return scheme
        if _ISSUE_URL.search(line, at, end):
            self._code(line[at:end])  # shown, but no "mentioned this" on the issue
        else:
            self.out.append(f"<{line[at:end]}>")
        return end

    def _mention(self, at: int) -> int:
        m = _MENTION.match(self.line, at)
        # Judged by what precedes it in the output: after a code span or other markup the
        # `@` starts a text node of its own, and GitHub takes that for a mention.
        before = self.out[-1][-1:] if self.out and self.code_at != len(self.out) else ""
        if m is None or (before and before in _ALNUM):
            self.out.append("@")  # an e-mail address or a lone @: GitHub notifies nobody
            return at + 1
        self._code(m.group())
        return m.end()


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


def fit_markdown(text: str, limit: int) -> str:
    """`text` neutralised, at most `limit` characters long: cut before defusing (a cut after
    it could split an escape or leave a fence open), as often as the growth requires."""
    budget = limit
    while True:
        out = neutralize(clip(text, budget))
        if len(out) <= limit or budget < 100:
            return out if len(out) <= limit else clip(neutralize_inline(text), limit)
        budget = budget * limit // len(out) - 16


def code_fence(code: str, *, info: str = "") -> str:
    """`code` in a backtick fence longer than any backtick run inside it."""
    longest = max((len(run) for run in _TICKS.findall(code)), default=0)
    fence = "`" * max(3, longest + 1)
    if code and not code.endswith("\n"):
        code += "\n"
    return f"{fence}{info}\n{code}{fence}"


def code_span(text: str) -> str:
    """`text` as an inline code span (file paths come from the PR: never trust them).

    Markers are found in the raw text, code included: a file named like one is defused too.
    """
    text = _FORGED.sub(lambda m: f"grok{_ZWSP}-review{m.group(1)}:", " ".join(text.splitlines()))
    longest = max((len(run) for run in _TICKS.findall(text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def headline(f: Finding) -> str:
    """`**🔴 critical · security** — Title`: severity and category at a glance."""
    title = neutralize_inline(clip(" ".join(f.title.split()), HEADLINE_TITLE_LIMIT))
    return f"**{ICONS[f.severity]} {f.severity} · {f.category}** — {title}"


def suggestion_block(suggestion: str, *, info: str = "suggestion") -> str | None:
    """A fenced suggestion, or None when it cannot be posted as it is."""
    code = suggestion.replace("\r\n", "\n")
    if len(code) > SUGGESTION_LIMIT or _FORGED.search(code):
        # Editing code to defuse it would commit different code: offer nothing instead.
        return None
    return code_fence(code, info=info)
