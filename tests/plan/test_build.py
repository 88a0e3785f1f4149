"""The review plan: budget, caps that keep the most important files, cost, JSON and text."""

from __future__ import annotations

import json
import math
import random
import re

import pytest

from bot.errors import ConfigError
from bot.models import FileDiff, Plan, SkippedFile, requests_lower_bound
from bot.output.plan import plan_to_json, render_plan_text
from bot.plan.build import build_plan, classify_path, input_budget
from bot.plan.chunking import coverage_problems
from bot.pricing import Price
from tests.plan.helpers import check_chunks, make_added, make_modified, make_pr

PRICE = Price(input=1.25, cached=0.20, output=2.50)


def plan(files: list[FileDiff] | tuple[FileDiff, ...], **kw: object) -> Plan:
    args: dict[str, object] = {
        "model": "grok-code-fast-1",
        "context_tokens": 256_000,
        "max_output_tokens": 10_000,
        "prefix_tokens": 3_000,
        "max_requests": None,
        "max_cost_usd": None,
        "price": PRICE,
        "files_total": len(files),
    }
    args.update(kw)
    skipped = args.pop("skipped", ())
    return build_plan(files, skipped, **args)  # type: ignore[arg-type]


def sized(path: str, lines: int) -> FileDiff:
    return make_added(path, [f"value = compute({i}, {path!r})" for i in range(lines)])


def test_input_budget_subtracts_output_and_a_five_percent_margin() -> None:
    assert input_budget(256_000, 10_000) == 256_000 - 10_000 - 12_800
    assert input_budget(100_001, 1_000) == 100_001 - 1_000 - 5_001  # margin rounds up


def test_budget_too_small_for_any_diff_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"context window of 8,000 .* GROK_REVIEW_CONTEXT"):
        plan([sized("a.py", 3)], context_tokens=8_000, max_output_tokens=4_000)


def test_budget_message_adds_up() -> None:
    # 4,000 - 1,000 - 200 = 2,800 per request; 2,800 - 1,466 - 64 = 1,270 would fit, so a
    # larger prefix: 2,800 - 1,900 - 64 = 836.
    with pytest.raises(ConfigError) as exc:
        plan([sized("a.py", 3)], context_tokens=4_000, max_output_tokens=1_000, prefix_tokens=1_900)
    numbers = [int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*", exc.value.message)]
    context, output, percent, margin, budget, prefix, framing, left, least = numbers
    assert (context, output, percent, prefix) == (4_000, 1_000, 5, 1_900)
    assert budget == context - output - margin == 2_800
    assert left == budget - prefix - framing == 836 and left < least


def test_uncapped_plan_covers_everything_and_prices_it() -> None:
    files = make_pr(seed=2, files=300)
    result = plan(files, context_tokens=32_000, max_output_tokens=4_000, prefix_tokens=2_000)
    budget = 32_000 - 4_000 - 1_600
    assert result.input_budget_tokens == budget
    check_chunks(files, result.chunks, budget=budget, prefix=2_000)
    total = sum(f.changed_lines for f in files)
    assert result.changed_lines_total == result.changed_lines_in_chunks == total
    assert result.kept == tuple(sorted(f.path for f in files))
    prompt = sum(c.estimated_tokens for c in result.chunks)
    expected = (prompt * 1.25 + 2_000 * len(result.chunks) * 2.50) / 1e6
    assert result.estimated_cost_usd == pytest.approx(expected)
    assert len(result.chunks) >= requests_lower_bound(result) >= 1


def importance_mix() -> list[FileDiff]:
    # Each file takes most of a 20k-token request, so a cap of N keeps about N files.
    return [
        sized("docs/guide.md", 525),
        sized("config/app.yml", 675),
        sized("tests/test_core.py", 600),
        sized("src/core.py", 450),
        sized("src/big.py", 675),
        sized("README.rst", 300),
        sized("src/web/view.ts", 375),
        sized("pkg/api_test.go", 225),
    ]


def test_max_requests_keeps_source_then_tests_larger_changes_first() -> None:
    files = importance_mix()
    result = plan(files, context_tokens=24_000, max_output_tokens=2_000, max_requests=4)
    assert len(result.chunks) <= 4
    # Source first, then tests larger first; the small Go test still fits the 4th request.
    source_and_tests = {"src/big.py", "src/core.py", "src/web/view.ts", "tests/test_core.py"}
    assert set(result.kept) == source_and_tests | {"pkg/api_test.go"}
    cut = {s.path for s in result.skipped if s.reason == "budget"}
    assert cut == {f.path for f in files} - set(result.kept)
    kept_files = [f for f in files if f.path in result.kept]
    assert coverage_problems(kept_files, result.chunks) == []  # a kept file is kept whole
    assert result.changed_lines_total == sum(f.changed_lines for f in files)
    assert result.changed_lines_in_chunks == sum(f.changed_lines for f in kept_files)


def test_max_cost_keeps_what_it_can_pay_for() -> None:
    files = importance_mix()
    uncapped = plan(files, context_tokens=24_000, max_output_tokens=2_000)
    cap = uncapped.estimated_cost_usd / 2
    result = plan(files, context_tokens=24_000, max_output_tokens=2_000, max_cost_usd=cap)
    assert 0 < result.estimated_cost_usd <= cap
    assert "src/big.py" in result.kept and "config/app.yml" not in result.kept
    ranks = {"source": 0, "test": 1, "docs": 2, "config": 3}
    worst_kept = max(ranks[classify_path(p)] for p in result.kept)
    cut = [s.path for s in result.skipped if s.reason == "budget"]
    assert cut and all(ranks[classify_path(p)] >= worst_kept for p in cut)


def test_cap_below_one_file_cuts_everything() -> None:
    files = [sized("src/huge.py", 4_000)]  # needs several requests on its own
    result = plan(files, context_tokens=24_000, max_output_tokens=2_000, max_requests=1)
    assert result.chunks == () and result.kept == () and result.estimated_cost_usd == 0
    assert result.skipped == (SkippedFile(path="src/huge.py", reason="budget"),)
    assert result.changed_lines_total == 4_000 and result.changed_lines_in_chunks == 0


def test_given_skips_stay_and_files_without_hunks_are_reported() -> None:
    given = (SkippedFile(path="package-lock.json", reason="lockfile"),)
    files = [sized("src/a.py", 5), FileDiff(path="img.png", binary=True), FileDiff(path="x.sh")]
    result = plan(files, skipped=given, files_total=4)
    assert result.skipped == (
        given[0],
        SkippedFile(path="img.png", reason="binary"),
        SkippedFile(path="x.sh", reason="empty"),
    )
    assert result.kept == ("src/a.py",)


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("bot/plan.py", "source"),
        ("tests/test_plan.py", "test"),
        ("pkg/server_test.go", "test"),
        ("web/src/App.spec.tsx", "test"),
        ("src/test/java/FooTest.java", "test"),
        ("lib/conftest.py", "test"),
        ("README.md", "docs"),
        ("docs/conf.py", "docs"),
        ("CHANGELOG", "docs"),
        (".github/workflows/ci.yml", "config"),
        ("pyproject.toml", "config"),
        ("settings.json", "config"),
        ("Dockerfile", "source"),
        ("src/contest.py", "source"),
    ],
)
def test_classify_path(path: str, kind: str) -> None:
    assert classify_path(path) == kind


def test_plan_json_has_the_documented_shape() -> None:
    files = [sized("src/a.py", 30), sized("src/b.py", 4_000)]
    given = (SkippedFile(path="yarn.lock", reason="lockfile"),)
    result = plan(
        files, skipped=given, files_total=3, context_tokens=24_000, max_output_tokens=2_000
    )
    doc = json.loads(json.dumps(plan_to_json(result)))
    expected = {"model", "context_tokens", "input_budget_tokens", "files", "changed_lines"}
    assert set(doc) >= expected | {"chunks", "estimated_cost_usd"}
    assert doc["model"] == "grok-code-fast-1"
    assert isinstance(doc["context_tokens"], int) and isinstance(doc["input_budget_tokens"], int)
    assert set(doc["files"]) == {"total", "reviewed", "skipped"}
    assert doc["files"]["total"] == 3 and doc["files"]["reviewed"] == 2
    assert doc["files"]["skipped"] == [{"path": "yarn.lock", "reason": "lockfile"}]
    assert doc["changed_lines"] == {"total": 4_030, "in_chunks": 4_030}
    assert len(doc["chunks"]) == len(result.chunks) > 1
    for chunk in doc["chunks"]:
        assert set(chunk) >= {"files", "estimated_tokens", "changed_lines"}
        assert all(isinstance(p, str) for p in chunk["files"])
        assert isinstance(chunk["estimated_tokens"], int) and isinstance(
            chunk["changed_lines"], int
        )
        assert chunk["estimated_tokens"] <= doc["input_budget_tokens"]
    assert sum(c["changed_lines"] for c in doc["chunks"]) == 4_030
    assert isinstance(doc["estimated_cost_usd"], float) and doc["estimated_cost_usd"] > 0


def test_plan_text_lists_files_chunks_requests_and_cost() -> None:
    files = importance_mix()
    result = plan(files, context_tokens=24_000, max_output_tokens=2_000, max_requests=4)
    text = render_plan_text(result)
    assert "\x1b" not in text
    assert f"Requests: {len(result.chunks)} (lower bound {requests_lower_bound(result)})" in text
    assert f"${result.estimated_cost_usd:.4f}" in text
    assert "config/app.yml" in text and "budget" in text
    assert "\n  src/big.py\n" in text
    assert text.count("Chunk ") == len(result.chunks)


def test_plan_text_counts_in_words() -> None:
    one = plan([sized("a.py", 1)])
    text = render_plan_text(one)
    assert "Chunk 1: " in text and ", 1 changed line, 1 file\n" in text
    assert "Changed lines: 1 changed line, every one in a request\n" in text
    assert "(s)" not in text and "1 changed lines" not in text
    files = importance_mix()
    cut = plan(files, context_tokens=24_000, max_output_tokens=2_000, max_requests=1)
    total, covered = cut.changed_lines_total, cut.changed_lines_in_chunks
    assert covered < total
    assert f"Changed lines: {total:,} changed lines, {covered:,} (" in render_plan_text(cut)
    assert f"{total - covered:,} cut by a cap\n" in render_plan_text(cut)


def test_plan_is_deterministic() -> None:
    files = list(make_pr(seed=3, files=150))
    first = plan(files, context_tokens=16_000, max_output_tokens=2_000, max_requests=20)
    random.Random(1).shuffle(files)
    again = plan(files, context_tokens=16_000, max_output_tokens=2_000, max_requests=20)
    assert first == again and plan_to_json(first) == plan_to_json(again)
    assert math.isfinite(first.estimated_cost_usd)


def test_cap_search_keeps_a_prefix_that_fits() -> None:
    files = make_pr(seed=4, files=120)
    engine = [f for f in files if f.path == "src/core/engine.py"]
    alone = len(plan(engine, context_tokens=16_000, max_output_tokens=2_000).chunks)
    assert alone > 3
    for cap in (1, 3, alone):
        result = plan(files, context_tokens=16_000, max_output_tokens=2_000, max_requests=cap)
        assert 0 < len(result.chunks) <= cap
        kept = [f for f in files if f.path in result.kept]
        assert coverage_problems(kept, result.chunks) == []
        assert len(result.kept) + len(result.skipped) == len(files)
        # The most important file needs several requests alone: under a smaller cap it goes
        # and the next files still fit; once it fits, it stays.
        assert ("src/core/engine.py" in result.kept) == (cap >= alone)


def test_modified_file_plans_like_its_chunks() -> None:
    rnd = random.Random(8)
    file = make_modified(rnd, "src/x.py", [[(2, 3)], [(1, 0)]])
    result = plan([file])
    assert len(result.chunks) == 1 and result.chunks[0].files == (file,)
    assert result.changed_lines_total == file.changed_lines == 6
