"""Token estimates from character classes: conservative on real text, additive, exact sums."""

from __future__ import annotations

import json
import random

import pytest

from bot.tokens import (
    MAX_CHARS_PER_TOKEN,
    MAX_UNITS_PER_BYTE,
    UNIT,
    estimate_tokens,
    text_cost,
    tokens_of,
)
from tests import DATA


def test_runs_of_one_class_and_shares_of_their_bytes() -> None:
    # One run of letters: one token plus 1/28 per letter.
    assert text_cost("abc") == UNIT + 3 * 6
    # A space before a word joins it (" word" is one run): "a b" is two runs, not three.
    assert text_cost("a b") == 2 * UNIT + 2 * 6 + 7
    # Digits and non-ASCII bytes cost a third of a token each, on top of their run.
    assert text_cost("123") == UNIT + 3 * 56
    assert text_cost("é") == UNIT + 2 * 56
    assert estimate_tokens("") == 0 and estimate_tokens("x") == 2  # 1 + 1/28, rounded up


def test_hex_tables_cost_more_than_prose_of_the_same_size() -> None:
    hex_row = "0x1f, 0xa0, 0x33, 0x7e,\n" * 100
    prose = ("the quick brown fox jumps over the lazy dog\n" * 100)[: len(hex_row)]
    assert estimate_tokens(hex_row) > 2 * estimate_tokens(prose)


@pytest.mark.parametrize("seed", range(20))
def test_cost_of_a_whole_is_at_most_the_sum_of_its_parts(seed: int) -> None:
    rnd = random.Random(seed)
    alphabet = "ab Z9_-(\n\té数"
    text = "".join(rnd.choice(alphabet) for _ in range(rnd.randrange(1, 200)))
    cut = rnd.randrange(len(text) + 1)
    assert text_cost(text) <= text_cost(text[:cut]) + text_cost(text[cut:])
    # ... and equal to it when the cut is after a newline and before a different class.
    if cut and text[cut - 1] == "\n" and text[cut : cut + 1] not in ("", "\n"):
        assert text_cost(text) == text_cost(text[:cut]) + text_cost(text[cut:])


@pytest.mark.parametrize("seed", range(20))
def test_bounds_used_by_the_planner_hold(seed: int) -> None:
    rnd = random.Random(seed)
    text = "".join(rnd.choice("ab 9_(é\n数") for _ in range(rnd.randrange(1, 300)))
    size = len(text.encode("utf-8"))
    assert text_cost(text) <= MAX_UNITS_PER_BYTE * size  # truncation relies on this
    assert estimate_tokens(text) * MAX_CHARS_PER_TOKEN + MAX_CHARS_PER_TOKEN >= len(text)


def test_tokens_of_rounds_units_up() -> None:
    assert [tokens_of(u) for u in (0, 1, UNIT, UNIT + 1)] == [0, 1, 1, 2]


# --- real tokenizer counts on real text (tests/data/tokens, provenance in tests/data/README.md)
# counts.json holds o200k_base and cl100k_base counts from tests/data/tokens/make_counts.py
# (node + js-tiktoken, run once); these tests only read files. The Grok tokenizer is not
# published, so the two OpenAI encodings stand in for it, and the estimate must cover the
# larger of the two.

TOKENS_DATA = DATA / "tokens"
RECORDED = json.loads((TOKENS_DATA / "counts.json").read_text(encoding="utf-8"))["samples"]

# On every sample the estimate covers the larger of the two counts (it may not fall short by
# even the planner's 5% margin), and stays within this many times the smaller one (largest
# seen: 1.42, the Cargo.lock excerpt), so chunks are not wasted.
MOST_PESSIMISTIC = 1.5


def sample_text(name: str) -> str:
    return (TOKENS_DATA / "samples" / name).read_bytes().decode("utf-8")  # \r stays as it is


def test_every_sample_file_is_recorded_and_every_record_has_its_file() -> None:
    on_disk = {p.name for p in (TOKENS_DATA / "samples").iterdir()}
    assert on_disk == set(RECORDED)


@pytest.mark.parametrize("name", RECORDED)
def test_recorded_sizes_still_match_the_sample(name: str) -> None:
    # A sample edited without rerunning make_counts.py would keep stale token counts.
    data = (TOKENS_DATA / "samples" / name).read_bytes()
    assert (len(data), data.count(b"\n")) == (RECORDED[name]["bytes"], RECORDED[name]["newlines"])


@pytest.mark.parametrize("name", RECORDED)
def test_no_sample_is_undercounted(name: str) -> None:
    # Real code, real diffs rendered for the model, docs, CJK, locale data, minified code,
    # a lockfile and data tables (a hex table is 1.4 bytes per token).
    counts = RECORDED[name]
    assert estimate_tokens(sample_text(name)) >= max(counts["o200k_base"], counts["cl100k_base"])


@pytest.mark.parametrize("name", RECORDED)
def test_estimate_is_not_wildly_pessimistic(name: str) -> None:
    counts = RECORDED[name]
    real = min(counts["o200k_base"], counts["cl100k_base"])
    assert estimate_tokens(sample_text(name)) <= MOST_PESSIMISTIC * real
