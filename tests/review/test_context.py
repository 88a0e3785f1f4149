"""Context in a planned review: it fills what each request leaves and never displaces the
diff; caps, a missing snapshot, a failing one, the summary line, halves, the dry run."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from bot.config import RepoConfig
from bot.context.snapshot import MemorySnapshot, SnapshotSource
from bot.model.context_section import context_tokens
from bot.models import ChunkResult, PullRequest, Usage, requests_lower_bound
from bot.output.plan import plan_to_json, render_plan_text
from bot.plan.chunking import CHUNK_OVERHEAD_TOKENS
from bot.review.pipeline import Prepared, assemble_review, prepare_review
from bot.review.resplit import halves
from bot.settings import Settings
from tests.context.shop import BASE, HEAD, make_diff, snapshot

SETTINGS = Settings(api_key=None, prices={})


def prepare(
    *,
    head: dict[str, str] = HEAD,
    settings: Settings = SETTINGS,
    snap: Any = "default",
    note: str | None = None,
    **config: Any,
) -> Prepared:
    pr = PullRequest(title="Discounts", files=make_diff(BASE, head))
    config.setdefault("tools", {"enabled": False})  # tools add to the prefix: tested apart
    return prepare_review(
        pr,
        RepoConfig(**config),
        settings,
        snapshot=snapshot(head) if snap == "default" else snap,
        context_note=note,
    )


def shape(prepared: Prepared) -> list[Any]:
    return [(c.files, c.parts, c.changed_lines) for c in prepared.plan.chunks]


def many_files(count: int, lines: int) -> dict[str, str]:
    """The shop plus `count` new modules that each call price_of."""
    extra = {
        f"shop/m{i}.py": "from shop.prices import price_of\n\n\ndef f(item):\n"
        + "".join(f"    v{j} = price_of(item) + {j}\n" for j in range(lines))
        for i in range(count)
    }
    return {**HEAD, **extra}


def test_context_fills_each_request_without_changing_its_diff() -> None:
    plain = prepare(snap=None)
    rich = prepare()
    assert shape(rich) == shape(plain)  # the same chunks: context never displaces the diff
    assert requests_lower_bound(rich.plan) == requests_lower_bound(plain.plan)
    (before,), (after,) = plain.plan.chunks, rich.plan.chunks
    assert after.context and after.context_tokens == context_tokens(after.context)
    assert after.estimated_tokens == before.estimated_tokens + after.context_tokens
    assert after.estimated_tokens <= rich.plan.input_budget_tokens
    assert rich.plan.estimated_cost_usd > plain.plan.estimated_cost_usd
    assert rich.plan.context_source == "git" and rich.context_note is None


def test_no_request_grows_past_three_times_its_diff_only_size() -> None:
    plain, rich = prepare(snap=None), prepare()
    for before, after in zip(plain.plan.chunks, rich.plan.chunks, strict=True):
        assert 0 < after.context_tokens <= 2 * before.estimated_tokens
    tiny = {
        **BASE,
        "shop/api.py": BASE["shop/api.py"].replace(
            "receipt = checkout(cart)", "receipt = checkout(cart)  # pay"
        ),
    }
    capped = prepare(head=tiny, context={"max_tokens": 100_000})
    (chunk,) = capped.plan.chunks
    assert chunk.estimated_tokens <= 3 * (chunk.estimated_tokens - chunk.context_tokens)


def test_the_prefix_is_the_same_with_and_without_context() -> None:
    assert prepare().prefix_messages == prepare(snap=None).prefix_messages


def test_each_chunk_takes_at_most_max_tokens() -> None:
    lib = "".join(
        f"def step{i}(x):\n"
        + "".join(f"    x = x * {j} + {i}\n" for j in range(25))
        + "    return x\n\n\n"
        for i in range(8)
    )
    calls = "".join(f"    x = step{i}(x)\n" for i in range(8))
    base = {
        "lib.py": lib,
        "a.py": "def run(x):\n    return x\n",
        "b.py": "def go(x):\n    return x\n",
    }
    head = {
        **base,
        "a.py": f"def run(x):\n{calls}    return x\n",
        "b.py": f"def go(x):\n{calls}    return x\n",
    }
    pr = PullRequest(files=make_diff(base, head))
    snap = MemorySnapshot({p: t.encode() for p, t in head.items()})
    settings = Settings(api_key=None, prices={}, context_tokens=5_000, max_output_tokens=500)

    def plan(**config: Any) -> Any:
        return prepare_review(pr, RepoConfig(**config), settings, snapshot=snap).plan

    capped, free = plan(context={"max_tokens": 600}), plan()
    assert [c.files for c in capped.chunks] == [c.files for c in free.chunks]
    assert all(0 < c.context_tokens <= 600 for c in capped.chunks)
    assert all(c.context_tokens > 600 for c in free.chunks)  # the cap is what bound it


def test_a_full_request_gets_no_context_and_a_huge_pr_no_extra_request() -> None:
    settings = Settings(api_key=None, prices={}, context_tokens=6_000, max_output_tokens=500)
    head = many_files(12, 40)
    plain = prepare(head=head, settings=settings, snap=None)
    rich = prepare(head=head, settings=settings)
    assert shape(rich) == shape(plain)
    budget = rich.plan.input_budget_tokens
    for before, after in zip(plain.plan.chunks, rich.plan.chunks, strict=True):
        assert after.estimated_tokens <= budget
        assert after.context_tokens <= max(budget - before.estimated_tokens, 0)


def test_max_cost_usd_bounds_the_context_too() -> None:
    plain = prepare(snap=None)
    cap = plain.plan.estimated_cost_usd * 1.05
    rich = prepare(max_cost_usd=cap)
    assert shape(rich) == shape(plain)
    assert rich.plan.estimated_cost_usd <= cap
    unbounded = prepare()
    assert rich.plan.chunks[0].context_tokens < unbounded.plan.chunks[0].context_tokens


@pytest.mark.parametrize(
    ("kwargs", "note"),
    [
        ({"snap": None}, "none: no repository snapshot"),
        (
            {"snap": None, "note": "no repository: reviewing a diff file"},
            "no repository: reviewing a diff file",
        ),
        (
            {"context": {"enabled": False}},
            "off (context.enabled: false in the repository config)",
        ),
    ],
)
def test_no_context_is_said_once_in_the_summary(kwargs: dict[str, Any], note: str) -> None:
    prepared = prepare(**kwargs)
    assert prepared.context_note == note
    assert all(not c.context for c in prepared.plan.chunks)
    review = assemble_review(prepared, [ChunkResult(0, (), Usage(requests=1), None)])
    assert review.summary.count("Context:") == 1
    assert f"Context: {note}." in review.summary


def test_a_review_with_context_says_nothing_about_it() -> None:
    review = assemble_review(prepare(), [ChunkResult(0, (), Usage(requests=1), None)])
    assert "context" not in review.summary


class Failing(MemorySnapshot):
    """A snapshot whose reads break (a git process that died, a disk error)."""

    def read(self, path: str) -> str | None:
        raise OSError("Input/output error")


def test_a_failing_snapshot_costs_the_context_not_the_review() -> None:
    snap = Failing({p: t.encode() for p, t in HEAD.items()}, source="github")
    prepared = prepare(snap=snap)
    assert shape(prepared) == shape(prepare(snap=None))
    assert prepared.context_note == (
        "could not be built for 1 of 1 request(s) (OSError: Input/output error)"
    )
    assert (
        "Context: could not be built for 1 of 1 request(s)"
        in assemble_review(prepared, [ChunkResult(0, (), Usage(requests=1), None)]).summary
    )


def test_halves_of_a_refused_chunk_carry_no_context() -> None:
    settings = Settings(api_key=None, prices={}, context_tokens=60_000, max_output_tokens=1_000)
    prepared = prepare(head=many_files(4, 40), settings=settings)
    (chunk,) = prepared.plan.chunks
    assert chunk.context_tokens > 0
    parts = halves(chunk, prefix_tokens=prepared.plan.prefix_tokens)
    assert len(parts) > 1 and all(not p.context and p.context_tokens == 0 for p in parts)
    body = chunk.estimated_tokens - chunk.context_tokens - prepared.plan.prefix_tokens
    half_bodies = [p.estimated_tokens - prepared.plan.prefix_tokens for p in parts]
    assert (
        max(half_bodies) <= (body - CHUNK_OVERHEAD_TOKENS) * 11 // 20 + CHUNK_OVERHEAD_TOKENS + 20
    )


@pytest.mark.parametrize("source", ["git", "worktree", "github"])
def test_dry_run_json_counts_context_per_chunk_and_in_total(source: SnapshotSource) -> None:
    snap = MemorySnapshot({p: t.encode() for p, t in HEAD.items()}, source=source)
    plan = prepare(snap=snap).plan
    doc = plan_to_json(plan)
    chunks: Sequence[dict[str, Any]] = doc["chunks"]
    assert doc["context"]["source"] == source
    assert doc["context"]["tokens"] == sum(c["context_tokens"] for c in chunks) > 0
    assert doc["context"]["items"] == sum(len(c.context) for c in plan.chunks) > 0
    assert all(c["estimated_tokens"] <= doc["input_budget_tokens"] for c in chunks)
    text = render_plan_text(plan)
    assert f"Repository context: {doc['context']['tokens']:,} tokens" in text
    assert f"({chunks[0]['context_tokens']:,} of them context)" in text


def test_dry_run_without_a_snapshot_says_none_and_why() -> None:
    plan = prepare(snap=None, note="no repository: reviewing a diff file").plan
    doc = plan_to_json(plan)
    assert doc["context"] == {
        "source": "none",
        "tokens": 0,
        "items": 0,
        "note": "no repository: reviewing a diff file",
    }
    assert [c["context_tokens"] for c in doc["chunks"]] == [0]
    assert "Repository context: none (no repository: reviewing a diff file)" in render_plan_text(
        plan
    )
