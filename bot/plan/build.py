"""The review plan: input budget, chunks, user caps (max requests / cost), cost estimate."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Sequence
from typing import Literal

from bot.config import TOOL_CHUNK_TOKENS
from bot.errors import ConfigError
from bot.models import Chunk, FileDiff, Plan, SkippedFile
from bot.plan.chunking import CHUNK_OVERHEAD_TOKENS, pack_pieces, split_into_pieces
from bot.plan.sizes import Piece
from bot.pricing import OUTPUT_TOKENS_PER_REQUEST, Price, cost_from_tokens

MARGIN_PERCENT = 5  # 5% of the context window stays unused: the token estimate is not exact
MIN_CHUNK_TOKENS = 1_000  # below this a request cannot carry a useful piece of diff

FileClass = Literal["source", "test", "docs", "config"]
# Cut order under a cap: config goes first, source last.
_RANK: dict[FileClass, int] = {"source": 0, "test": 1, "docs": 2, "config": 3}
_TEST_DIRS = {"test", "tests", "__tests__", "spec", "specs", "testing", "testdata", "e2e"}
_TEST_NAME = re.compile(
    r"(^test_.*\.py$|_tests?\.(py|go|rb|rs|exs?)$|^conftest\.py$"
    r"|\.(test|spec)\.[cm]?[jt]sx?$|_spec\.rb$|Tests?\.(java|kt|cs|swift|scala)$)"
)
_DOCS_DIRS = {"doc", "docs", "documentation", "man"}
_DOCS_EXT = {".md", ".markdown", ".rst", ".txt", ".adoc", ".asciidoc"}
_DOCS_NAMES = {"readme", "changelog", "changes", "license", "copying", "authors", "notice"}
_CONFIG_EXT = {".yml", ".yaml", ".json", ".toml", ".ini", ".cfg", ".conf", ".properties"}
_CONFIG_NAMES = {".gitignore", ".gitattributes", ".editorconfig", ".dockerignore", ".env"}


def input_budget(context_tokens: int, max_output_tokens: int) -> int:
    """Tokens one request's input may take: the window less the reply and a 5% margin."""
    # Rounded up, so the margin is never under 5%.
    margin = -(-context_tokens * MARGIN_PERCENT // 100)
    return context_tokens - max_output_tokens - margin


def classify_path(path: str) -> FileClass:
    """What kind of file `path` is, for deciding what a cap cuts first."""
    parts = path.lower().split("/")
    name = path.rsplit("/", 1)[-1]
    stem, ext = posixpath.splitext(parts[-1])
    if _TEST_NAME.search(name) or _TEST_DIRS.intersection(parts[:-1]):
        return "test"
    if ext in _DOCS_EXT or stem in _DOCS_NAMES or _DOCS_DIRS.intersection(parts[:-1]):
        return "docs"
    if ext in _CONFIG_EXT or parts[-1] in _CONFIG_NAMES or parts[0] == ".github":
        return "config"
    return "source"


def build_plan(
    files: Sequence[FileDiff],
    skipped: Sequence[SkippedFile],
    *,
    model: str,
    context_tokens: int,
    max_output_tokens: int,
    prefix_tokens: int,
    max_requests: int | None,
    max_cost_usd: float | None,
    price: Price,
    files_total: int,
) -> Plan:
    """Chunk the kept files; under a cap keep the most important files that fit it."""
    budget = input_budget(context_tokens, max_output_tokens)
    _check_room(
        budget, prefix_tokens, context_tokens=context_tokens, max_output_tokens=max_output_tokens
    )
    reviewable = [f for f in files if f.hunks]
    empty = [
        SkippedFile(path=f.path, reason="binary" if f.binary else "empty")
        for f in files
        if not f.hunks
    ]
    ranked = sorted(reviewable, key=_importance)
    pieces = split_into_pieces(ranked, budget_tokens=budget, prefix_tokens=prefix_tokens)

    def pack(selection: Sequence[Sequence[Piece]]) -> tuple[Chunk, ...]:
        return pack_pieces(selection, budget_tokens=budget, prefix_tokens=prefix_tokens)

    def fits(chunks: tuple[Chunk, ...]) -> bool:
        if max_requests is not None and len(chunks) > max_requests:
            return False
        return max_cost_usd is None or estimate_cost(chunks, price=price) <= max_cost_usd

    chosen, chunks = _select(pieces, pack=pack, fits=fits)
    cut = sorted(f.path for i, f in enumerate(ranked) if i not in chosen)
    return Plan(
        model=model,
        context_tokens=context_tokens,
        input_budget_tokens=budget,
        prefix_tokens=prefix_tokens,
        files_total=files_total,
        kept=tuple(sorted({f.path for c in chunks for f in c.files})),
        skipped=(*skipped, *empty, *(SkippedFile(path=p, reason="budget") for p in cut)),
        chunks=chunks,
        changed_lines_total=sum(p.changed for ps in pieces for p in ps),
        changed_lines_in_chunks=sum(c.changed_lines for c in chunks),
        estimated_cost_usd=estimate_cost(chunks, price=price),
    )


def _check_room(
    budget: int, prefix_tokens: int, *, context_tokens: int, max_output_tokens: int
) -> None:
    room = budget - prefix_tokens - CHUNK_OVERHEAD_TOKENS
    if room < MIN_CHUNK_TOKENS:
        # Every number that is subtracted is named, so the sums can be checked by hand.
        margin = context_tokens - max_output_tokens - budget
        raise ConfigError(
            f"a context window of {context_tokens:,} tokens, less {max_output_tokens:,} for "
            f"the reply and a {MARGIN_PERCENT}% margin of {margin:,}, leaves {budget:,} input "
            f"tokens per request; the prompt prefix takes {prefix_tokens:,} and the framing "
            f"around the diff {CHUNK_OVERHEAD_TOKENS:,}, leaving {max(room, 0):,} for the diff "
            f"(at least {MIN_CHUNK_TOKENS:,} needed): raise the context window "
            "(--context-tokens, GROK_REVIEW_CONTEXT_TOKENS) or lower the output limit "
            "(--max-output-tokens, GROK_REVIEW_MAX_OUTPUT_TOKENS)"
        )


def _importance(file: FileDiff) -> tuple[int, int, str]:
    # Within a class, larger changes carry more risk, so they are kept first.
    return _RANK[classify_path(file.path)], -file.changed_lines, file.path


def _select(
    pieces: Sequence[Sequence[Piece]],
    *,
    pack: Callable[[Sequence[Sequence[Piece]]], tuple[Chunk, ...]],
    fits: Callable[[tuple[Chunk, ...]], bool],
) -> tuple[set[int], tuple[Chunk, ...]]:
    """Indices of the files kept (pieces are in importance order) and their chunks."""
    everything = pack(pieces)
    if fits(everything):
        return set(range(len(pieces))), everything
    # A file over the cap on its own would otherwise stop every file after it.
    able = [i for i, ps in enumerate(pieces) if fits(pack([ps]))]
    # Packing sized pieces is cheap, so binary-search the longest prefix that fits: log2(n)
    # packings. Requests and cost grow with the file count (up to rare first-fit anomalies,
    # which can only make the search keep a few files fewer).
    best: tuple[Chunk, ...] = ()
    low, high = 0, len(able) + 1  # a prefix of `low` files fits; of `high` does not
    while high - low > 1:
        mid = (low + high) // 2
        chunks = pack([pieces[i] for i in able[:mid]])
        if fits(chunks):
            low, best = mid, chunks
        else:
            high = mid
    return set(able[:low]), best


def estimate_cost(chunks: Sequence[Chunk], *, price: Price) -> float:
    """Upper estimate in USD: every prompt token uncached, 2,000 output tokens per request."""
    return cost_from_tokens(
        price,
        prompt_tokens=sum(c.estimated_tokens for c in chunks),
        cached_tokens=0,
        completion_tokens=OUTPUT_TOKENS_PER_REQUEST * len(chunks),
    )


def estimate_tools_cost(
    chunks: Sequence[Chunk], *, rounds: int, input_budget_tokens: int, price: Price
) -> float:
    """Upper estimate in USD of a review whose every request uses every tool round: each
    chunk's request, then `rounds` more, each its request plus the most its tool calls and
    results may add (never over the input budget); every prompt token uncached and 2,000
    output tokens per request, like `estimate_cost`."""
    extra = sum(
        rounds * min(c.estimated_tokens + TOOL_CHUNK_TOKENS, input_budget_tokens) for c in chunks
    )
    return estimate_cost(chunks, price=price) + cost_from_tokens(
        price,
        prompt_tokens=extra,
        cached_tokens=0,
        completion_tokens=OUTPUT_TOKENS_PER_REQUEST * rounds * len(chunks),
    )
