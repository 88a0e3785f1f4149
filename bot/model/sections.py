"""Delimited sections for untrusted text, and fitting text into a token budget (pure).

Untrusted text (a PR's title, description and diff, repository context, a question) only
ever reaches the model inside one of our sections, with every look-alike of our tags defused,
so it cannot close its section and speak as us.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.tokens import MAX_CHARS_PER_TOKEN, estimate_tokens

_TAGS = (
    "untrusted_pr_title",
    "untrusted_pr_description",
    "untrusted_diff",
    "untrusted_context",
    "repository_instructions",
    "repository_path_instructions",
    "repository_agents_md",
    "repository_unwanted_findings",
    # the sections of the other requests (bot.model.overview, bot.model.answer)
    *("untrusted_overview_parts", "untrusted_question", "untrusted_finding"),
    *("untrusted_thread", "untrusted_reply", "untrusted_code"),
)
# Our tags in any spelling (case, spaces, opening or closing) inside a section's text. One
# space run before the optional `/` and one after it: two runs side by side would let a PR's
# `<` and a long run of spaces backtrack quadratically.
_TAG_LOOKALIKE = re.compile(r"<(\s*(?:/\s*)?(?:" + "|".join(_TAGS) + r"))", re.IGNORECASE)


def defuse_section_tags(text: str) -> str:
    """`text` with every look-alike of our section tags defused (`<` becomes `&lt;`)."""
    return _TAG_LOOKALIKE.sub(r"&lt;\1", text)


def section(tag: str, text: str) -> str:
    """`text` inside our delimiters, every look-alike of them in it defused."""
    return f"<{tag}>\n{defuse_section_tags(text)}\n</{tag}>"


def fit_to_budget(pieces: Sequence[str], cap_tokens: int) -> list[str]:
    """Truncate pieces so their estimates sum to at most `cap_tokens`, sharing fairly:
    pieces smaller than an equal share keep everything, the rest split what is left."""
    sizes = [estimate_tokens(p) for p in pieces]
    if sum(sizes) <= cap_tokens:
        return list(pieces)
    shares = [0] * len(pieces)
    left, open_ = cap_tokens, sorted(range(len(pieces)), key=lambda i: (sizes[i], i))
    while open_:
        share = left // len(open_)
        i = open_.pop(0)
        shares[i] = min(sizes[i], share)
        left -= shares[i]
    return [truncate_tokens(p, s) for p, s in zip(pieces, shares, strict=True)]


def truncate_tokens(text: str, cap_tokens: int) -> str:
    """The longest prefix of `text` whose estimate, with the truncation note, fits."""
    if estimate_tokens(text) <= cap_tokens:
        return text
    # A prefix of more than cap * MAX_CHARS_PER_TOKEN characters cannot fit: search below.
    low, high = 0, min(len(text), max(cap_tokens, 0) * MAX_CHARS_PER_TOKEN)
    while low < high:  # binary search: estimate_tokens grows with the prefix length
        mid = (low + high + 1) // 2
        if estimate_tokens(_with_note(text, mid)) <= cap_tokens:
            low = mid
        else:
            high = mid - 1
    # Below ~12 tokens even the note alone does not fit; keep it anyway so the cut is said.
    return _with_note(text, low)


def truncate_chars(text: str, limit: int) -> str:
    """`text` cut to `limit` characters plus the truncation note."""
    return text if len(text) <= limit else _with_note(text, limit)


def _with_note(text: str, keep: int) -> str:
    omitted = len(text) - keep
    return f"{text[:keep].rstrip()}\n[truncated: {omitted} characters omitted]"
