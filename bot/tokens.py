"""Token estimates without a tokenizer: conservative, byte-based, no network."""

from __future__ import annotations

# The Grok tokenizer is not published. Code averages 3-4 bytes per token; counting one
# token per 3 bytes over-counts typical code, and the planner's 5% margin absorbs the rest
# (dense non-ASCII text can be closer to 2 bytes per token, hence the per-line allowance).
BYTES_PER_TOKEN = 3
PER_LINE_TOKENS = 1


def estimate_tokens(text: str) -> int:
    """A conservative token count for `text`."""
    if not text:
        return 0
    data = len(text.encode("utf-8", errors="replace"))
    return -(-data // BYTES_PER_TOKEN) + text.count("\n") * PER_LINE_TOKENS
