"""Byte-based token estimates: conservative, consistent with the planner's byte counts."""

from __future__ import annotations

import pytest

from bot.tokens import estimate_tokens, max_bytes_for, tokens_for, utf8_len

SAMPLES = ["", "x", "def f(x):\n    return x\n", "naïve café\n", "数据 处理 🎉", "a\nb\nc\n"]


@pytest.mark.parametrize("text", SAMPLES)
def test_estimate_equals_counts_of_bytes_and_newlines(text: str) -> None:
    assert utf8_len(text) == len(text.encode("utf-8"))
    assert estimate_tokens(text) == tokens_for(utf8_len(text), text.count("\n"))


def test_lone_surrogate_counts_like_its_replacement() -> None:
    assert utf8_len("a\udcff") == len("a\udcff".encode("utf-8", errors="replace")) == 2


def test_estimate_is_conservative_for_code() -> None:
    # Real tokenizers give code roughly 3-4 bytes per token; we must not count fewer.
    code = "    result = compute_value(request.items, timeout=30)\n" * 100
    assert estimate_tokens(code) >= len(code.encode()) / 3


def test_estimates_of_parts_cover_the_whole() -> None:
    parts = ["ab", "c\n", "def\n", "é"]
    assert sum(estimate_tokens(p) for p in parts) >= estimate_tokens("".join(parts))


@pytest.mark.parametrize(("tokens", "newlines"), [(1_000, 0), (1_000, 37), (5, 5), (0, 0)])
def test_max_bytes_for_is_the_largest_size_that_fits(tokens: int, newlines: int) -> None:
    most = max_bytes_for(tokens, newlines=newlines)
    assert most == 0 or tokens_for(most, newlines) <= tokens
    if tokens > newlines:
        assert tokens_for(most + 1, newlines) > tokens
