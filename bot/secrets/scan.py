"""Find and replace the secrets on one line, in time linear in the line (pure).

Every rule (bot.secrets.pem, .formats, .assign) reports the span of a secret; spans are
resolved here, earlier rules first (a provider token inside an assignment keeps its own
kind), and replaced by `[REDACTED:<kind>]`. A quoted value keeps its quotes.

A token split across adjacent string literals (`"ghp_abc" + "def…"`, Python's `"a" "b"`) is
found on a view of the line with the literals joined; each piece of it is then replaced in
the line itself (the first by the placeholder, the others by nothing).
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterator

from bot.linear import LinearPattern
from bot.secrets.assign import find_named, string_spans
from bot.secrets.formats import Hit, find_formats
from bot.secrets.pem import PEM_INLINE, inline_pem_kind, placeholder

# Every rule needs one of these; most lines have none and skip the full scan. On RE2 one
# pass over a whole hunk finds them all, ten times faster than Python's `re` would.
TRIGGER = LinearPattern(
    r"(?i)key|secret|token|pass|pwd|signing|hmac|cookie|session_?id|bearer|basic|login|curl"
    r"|mysql|://"
    r"|gh[pousr]_|github_pat_|akia|asia|abia|acca|xox|xapp|k_live_|aiza|xai-|sk-|eyj"
    r"|glpat-|gldt-|glptt-|glrt-|glcbt-|glsoat-|glffct-|gloas-|glimt-|glft-|glagent-|glwt-"
    r"|gr1348941|npm_|pypi-|sg\.|shp|hf_|do[opr]_v1_|dapi|lin_api_|pmak-|sq0"
    # string literals joined (by spaces or an operator): a token may be split across them
    r"|[\"'`](?:[ \t]+|[ \t]*(?:\+|\.\.?|\|\|)[ \t]*)[\"'`]"
)
# Two string literals joined: by juxtaposition, `+`, `.`, `..` or `||`.
_JOINED = re.compile(r"[\"'`]\s*(?:(?:\+|\.\.?|\|\|)\s*)?[\"'`]")
_GAP = re.compile(r"\s*(?:(?:\+|\.\.?|\|\|)\s*)?")


def has_trigger(text: str) -> bool:
    return TRIGGER.search(text) is not None


def redact_line(text: str, *, bare_values: bool = True) -> tuple[str, tuple[str, ...]]:
    """One line with its secrets replaced, and the kinds found (in line order, no repeats)."""
    if not has_trigger(text):
        return text, ()
    return redact_candidate(text, bare_values=bare_values)


def redact_candidate(text: str, *, bare_values: bool) -> tuple[str, tuple[str, ...]]:
    """redact_line for a line known to hold a trigger word (TRIGGER found it)."""
    pieces = find_secrets(text, bare_values=bare_values)
    if not pieces:
        return text, ()
    out, kinds, done = [], [], 0
    for start, end, kind, first in pieces:
        out.append(text[done:start])
        if first:
            out.append(placeholder(kind))
            if kind not in kinds:
                kinds.append(kind)
        done = end
    out.append(text[done:])
    return "".join(out), tuple(kinds)


def find_secrets(text: str, *, bare_values: bool) -> list[tuple[int, int, str, bool]]:
    """(start, end, kind, first piece) of each secret on the line, left to right.

    A secret is one piece unless it was split across string literals.
    """
    view, segments = _joined_view(text)
    taken: list[tuple[int, int]] = []  # accepted spans in the view, sorted, disjoint
    found: list[Hit] = []
    for start, end, kind in _hits(view, bare_values=bare_values):
        i = bisect.bisect_left(taken, (start, end))
        before_ok = i == 0 or taken[i - 1][1] <= start
        after_ok = i == len(taken) or end <= taken[i][0]
        if end > start and before_ok and after_ok:
            taken.insert(i, (start, end))
            found.append((start, end, kind))
    found.sort()
    if segments is None:
        return [(s, e, k, True) for s, e, k in found]
    return [piece for hit in found for piece in _to_line(hit, segments)]


def _hits(text: str, *, bare_values: bool) -> Iterator[Hit]:
    """Candidate secrets, the most specific rules first."""
    if "PRIVATE KEY" in text:
        for m in PEM_INLINE.finditer(text):
            kind = inline_pem_kind(m)
            if kind:
                yield m.start, m.end, kind
    low = text.lower()  # to skip the rules whose words the line lacks
    yield from find_formats(text, low)
    yield from find_named(text, low, bare_values=bare_values)


# --- literals joined --------------------------------------------------------------------

Segments = list[tuple[int, int]]  # (view start, line start) of each kept stretch


def _joined_view(text: str) -> tuple[str, Segments | None]:
    """The line with adjacent string literals joined, and where each stretch came from."""
    if _JOINED.search(text) is None:
        return text, None
    spans = string_spans(text)
    cuts = [
        (end - 1, nxt + 1)  # closing quote, the gap, the next opening quote
        for (_, end), (nxt, _) in itertools.pairwise(spans)
        if _GAP.fullmatch(text, end, nxt)
    ]
    if not cuts:
        return text, None
    parts, segments, done, size = [], [], 0, 0
    for cut_start, cut_end in cuts:
        segments.append((size, done))
        parts.append(text[done:cut_start])
        size += cut_start - done
        done = cut_end
    segments.append((size, done))
    parts.append(text[done:])
    return "".join(parts), segments


def _to_line(hit: Hit, segments: Segments) -> Iterator[tuple[int, int, str, bool]]:
    """A span of the joined view as spans of the line (one per literal it covers)."""
    start, end, kind = hit
    i = bisect.bisect_right(segments, (start, 1 << 62)) - 1
    first = True
    while i < len(segments) and segments[i][0] < end:
        view_start, line_start = segments[i]
        view_end = segments[i + 1][0] if i + 1 < len(segments) else end
        lo, hi = max(start, view_start), min(end, view_end)
        if lo < hi:
            yield line_start + lo - view_start, line_start + hi - view_start, kind, first
            first = False
        i += 1
