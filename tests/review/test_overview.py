"""The overview comes from the review's own requests: one part per chunk, one merge for many."""

from __future__ import annotations

import json
import re
from typing import Any

from bot.config import RepoConfig
from bot.context.snapshot import MemorySnapshot
from bot.diff.parse import parse_diff
from bot.models import (
    ChunkResult,
    FocusSpot,
    Overview,
    OverviewFile,
    PullRequest,
    SkippedFile,
    Usage,
)
from bot.review.ask import ask_model
from bot.review.overview import MAX_FOCUS, build_overview
from bot.review.pipeline import assemble_review, prepare_review
from bot.settings import Settings
from tests.fakes.openai_server import Completion, FakeModel, error, finding, raw


def diff_of(files: int, lines: int, *, lockfile: bool = False) -> str:
    parts = []
    for i in range(files):
        body = "".join(f"+    value_{j} = compute({j}, factor={i})\n" for j in range(lines))
        parts.append(f"--- /dev/null\n+++ b/pkg{i}/mod.py\n@@ -0,0 +1,{lines} @@\n{body}")
    if lockfile:
        parts.append("--- /dev/null\n+++ b/poetry.lock\n@@ -0,0 +1,1 @@\n+[[package]]\n")
    return "".join(parts)


def overview_reply(request: dict[str, Any], **extra: Any) -> Completion:
    """Findings none, and an overview naming the files of the chunk it was sent."""
    paths = re.findall(r"### File: (\S+)", request["json"]["messages"][-1]["content"])
    overview = {
        "summary": f"Adds {' and '.join(paths)}.",
        "files": [{"path": p, "summary": f"new module {p}"} for p in paths],
        "focus": [{"path": paths[0], "line": 1, "note": f"factor of {paths[0]}"}],
        **extra,
    }
    return raw(json.dumps({"findings": [], "overview": overview}), prompt_tokens=100)


def is_merge(request: dict[str, Any]) -> bool:
    return "untrusted_overview_parts" in request["json"]["messages"][-1]["content"]


def settings_for(fake: FakeModel, *, context_tokens: int = 400_000) -> Settings:
    return Settings(
        api_key="test-key",
        base_url=fake.url,
        retry_base_s=0,
        model_retries=0,
        timeout_s=5.0,
        prices={"grok-code-fast-1": {"input": 1.0, "cached": 0.1, "output": 2.0}},
        context_tokens=context_tokens,
        max_output_tokens=1_000,
    )


def review(fake: FakeModel, diff: str, *, config: RepoConfig | None = None, **kw: Any) -> Any:
    settings = settings_for(fake, **kw)
    prepared = prepare_review(
        PullRequest(title="Add modules", files=parse_diff(diff)), config or RepoConfig(), settings
    )
    return prepared, assemble_review(prepared, ask_model(prepared, settings))


def test_a_one_chunk_review_takes_its_overview_from_its_one_request(fake: FakeModel) -> None:
    fake.script(overview_reply)
    prepared, result = review(fake, diff_of(2, 5, lockfile=True))
    assert len(prepared.plan.chunks) == 1 and len(fake.requests) == 1
    overview = result.overview
    assert overview.summary == "Adds pkg0/mod.py and pkg1/mod.py."
    assert [(f.path, f.summary, f.skipped) for f in overview.files] == [
        ("pkg0/mod.py", "new module pkg0/mod.py", None),
        ("pkg1/mod.py", "new module pkg1/mod.py", None),
        ("poetry.lock", "", "lockfile"),
    ]
    assert overview.focus == (FocusSpot(path="pkg0/mod.py", line=1, note="factor of pkg0/mod.py"),)
    # The system message asked for it.
    assert "Overview: besides the findings" in fake.requests[0]["json"]["messages"][0]["content"]


def test_a_review_in_several_chunks_merges_their_parts_in_one_small_request(
    fake: FakeModel,
) -> None:
    def reply(request: dict[str, Any]) -> Completion:
        if is_merge(request):
            return raw("The PR adds three modules.", prompt_tokens=300, completion_tokens=20)
        return overview_reply(request)

    fake.script(reply)
    prepared, result = review(fake, diff_of(3, 400), context_tokens=12_000)
    chunks = len(prepared.plan.chunks)
    assert chunks > 1
    merges = [r for r in fake.requests if is_merge(r)]
    assert len(fake.requests) == chunks + 1 and len(merges) == 1
    # Plain text: no response format, and the parts' summaries are what it reads.
    assert "response_format" not in merges[0]["json"]
    assert "Adds pkg0/mod.py" in merges[0]["json"]["messages"][-1]["content"]
    assert result.overview.summary == "The PR adds three modules."
    assert [f.path for f in result.overview.files] == ["pkg0/mod.py", "pkg1/mod.py", "pkg2/mod.py"]
    # Its cost is the review's: requests and tokens counted with the chunks'.
    assert result.usage.requests == chunks + 1
    assert result.usage.prompt_tokens == 100 * chunks + 300
    assert result.errors == () and not any("merged" in n for n in result.notes)


def test_a_failed_merge_joins_the_parts_and_says_so(fake: FakeModel) -> None:
    fake.script(
        lambda request: (
            error(400, {"code": "bad", "error": "no"})
            if is_merge(request)
            else overview_reply(request)
        )
    )
    prepared, result = review(fake, diff_of(3, 400), context_tokens=12_000)
    assert result.errors == ()  # the review itself succeeded
    summaries = [f"Adds {c.files[0].path}" for c in prepared.plan.chunks]
    assert all(s in result.overview.summary for s in summaries)
    assert any("could not be merged" in n for n in result.notes)
    assert "could not be merged" in result.summary
    assert result.usage.failed_requests == 1


def test_overview_false_asks_for_none_and_shows_none(fake: FakeModel) -> None:
    fake.script(overview_reply)  # a model that sends one anyway is not listened to
    _, result = review(
        fake, diff_of(3, 400), config=RepoConfig(overview=False), context_tokens=12_000
    )
    assert result.overview is None
    assert not any(is_merge(r) for r in fake.requests)
    system = fake.requests[0]["json"]["messages"][0]["content"]
    assert 'set "overview" to null' in system and "besides the findings" not in system


def test_a_reply_without_an_overview_still_gives_its_findings(fake: FakeModel) -> None:
    fake.queue(
        [
            raw(
                json.dumps(
                    {
                        "findings": [
                            finding("pkg0/mod.py", 1, code="value_0 = compute(0, factor=0)")
                        ],
                        "overview": {"summary": 3},
                    }
                )
            )
        ]
    )
    _, result = review(fake, diff_of(1, 5))
    assert len(fake.requests) == 1  # no repair request for a malformed overview
    assert len(result.comments) == 1
    assert result.overview.summary == "" and [f.path for f in result.overview.files] == [
        "pkg0/mod.py"
    ]


# --- build_overview (pure) ---------------------------------------------------------------------


def _part(*focus: FocusSpot, files: tuple[OverviewFile, ...] = (), summary: str = "s") -> Overview:
    return Overview(summary=summary, files=files, focus=focus)


def test_paths_the_pr_does_not_have_are_left_out() -> None:
    prepared = prepare_review(
        PullRequest(files=parse_diff(diff_of(2, 3))), RepoConfig(), Settings(api_key="k")
    )
    part = _part(
        FocusSpot(path="/etc/passwd", line=1, note="made up"),
        FocusSpot(path="pkg1/mod.py", line=99, note="a line the diff does not show"),
        FocusSpot(path=None, line=None, note="the whole design"),
        files=(
            OverviewFile(path="pkg0/mod.py", summary="real"),
            OverviewFile(path="../../secret.py", summary="made up"),
        ),
    )
    result = ChunkResult(0, (), Usage(requests=1), None, overviews=(part,))
    overview = build_overview(prepared.plan, prepared.files, [result])
    assert [(f.path, f.summary) for f in overview.files] == [
        ("pkg0/mod.py", "real"),
        ("pkg1/mod.py", ""),
    ]
    assert overview.focus == (
        FocusSpot(path="pkg1/mod.py", line=None, note="a line the diff does not show"),
        FocusSpot(path=None, line=None, note="the whole design"),
    )


def test_focus_spots_take_turns_across_parts_and_are_capped() -> None:
    prepared = prepare_review(
        PullRequest(files=parse_diff(diff_of(2, 3))), RepoConfig(), Settings(api_key="k")
    )
    first = _part(*(FocusSpot(path="pkg0/mod.py", line=n, note=f"a{n}") for n in (1, 2, 3)))
    second = _part(*(FocusSpot(path="pkg1/mod.py", line=n, note=f"b{n}") for n in (1, 2, 3)))
    results = [
        ChunkResult(i, (), Usage(), None, overviews=(p,)) for i, p in enumerate([first, second])
    ]
    overview = build_overview(prepared.plan, prepared.files, results)
    assert [s.note for s in overview.focus] == ["a1", "b1", "a2", "b2", "a3"][:MAX_FOCUS]


def test_no_overview_when_nothing_was_reviewed() -> None:
    prepared = prepare_review(
        PullRequest(files=parse_diff("--- /dev/null\n+++ b/poetry.lock\n@@ -0,0 +1 @@\n+x\n")),
        RepoConfig(),
        Settings(api_key="k"),
    )
    assert prepared.plan.chunks == ()
    assert build_overview(prepared.plan, prepared.files, []) is None
    assert prepared.plan.skipped == (SkippedFile(path="poetry.lock", reason="lockfile"),)


def test_the_merge_offers_no_tools_even_when_the_review_does(fake: FakeModel) -> None:
    fake.script(lambda request: raw("Merged.") if is_merge(request) else overview_reply(request))
    diff = diff_of(3, 400)
    settings = settings_for(fake, context_tokens=12_000)
    files = {f"pkg{i}/mod.py": b"x = 1\n" for i in range(3)}
    prepared = prepare_review(
        PullRequest(title="t", files=parse_diff(diff)),
        RepoConfig(),
        settings,
        snapshot=MemorySnapshot(files),
    )
    result = assemble_review(prepared, ask_model(prepared, settings))
    assert result.overview is not None and result.overview.summary == "Merged."
    chunk_requests = [r for r in fake.requests if not is_merge(r)]
    assert chunk_requests and all(r["json"].get("tools") for r in chunk_requests)
    (merge,) = [r for r in fake.requests if is_merge(r)]
    assert "tools" not in merge["json"] and "tool_choice" not in merge["json"]
