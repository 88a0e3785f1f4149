"""Token estimates without a tokenizer: conservative, byte-based, no network."""

from __future__ import annotations

# The Grok tokenizer is not published. Code averages 3-4 bytes per token; counting one
# token per 3 bytes over-counts typical code, and the planner's 5% margin absorbs the rest
# (dense non-ASCII text can be closer to 2 bytes per token, hence the per-line allowance).
BYTES_PER_TOKEN = 3
PER_LINE_TOKENS = 1


def utf8_len(text: str) -> int:
    """Bytes `text` takes in UTF-8 (a lone surrogate counts as one replacement byte)."""
    # isascii() is a flag check on CPython strings, far cheaper than encoding every line.
    return len(text) if text.isascii() else len(text.encode("utf-8", errors="replace"))


def tokens_for(byte_count: int, newlines: int) -> int:
    """The estimate for a text of `byte_count` UTF-8 bytes holding `newlines` line breaks."""
    if byte_count <= 0:
        return 0
    return -(-byte_count // BYTES_PER_TOKEN) + newlines * PER_LINE_TOKENS


def max_bytes_for(tokens: int, *, newlines: int) -> int:
    """The most bytes a text with `newlines` line breaks may hold to stay within `tokens`."""
    return max((tokens - newlines * PER_LINE_TOKENS) * BYTES_PER_TOKEN, 0)


def estimate_tokens(text: str) -> int:
    """A conservative token count for `text`."""
    if not text:
        return 0
    return tokens_for(utf8_len(text), text.count("\n"))
