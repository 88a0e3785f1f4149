"""`review-pr` with tools: the model reads the reviewed commit (not the disk), usage says how
many calls it made, and a diff file with no repository offers no tools."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.cli.main import main
from tests.cli.test_snapshot import HEAD_APP
from tests.fakes.openai_server import FakeModel, calls, finding, findings, messages_of, tool_call
from tests.helpers.git import git, init_repo

BUG = finding(path="src/app.py", line=2, code="    return half(x)")


@pytest.fixture
def model(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeModel]:
    with FakeModel() as fake:
        monkeypatch.setenv("XAI_API_KEY", "test-key")
        monkeypatch.setenv("GROK_REVIEW_BASE_URL", fake.url)
        monkeypatch.setenv("GROK_REVIEW_RETRY_BASE_S", "0")
        yield fake


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    r = init_repo(
        tmp_path / "repo",
        {
            "src/app.py": "def f(x):\n    return x\n",
            "src/util.py": "def half(n):\n    return n / 2\n",
        },
    )
    git(r, "checkout", "-qb", "feature")
    (r / "src" / "app.py").write_text(HEAD_APP)
    git(r, "commit", "-qam", "use half")
    # Not committed: a branch review reads the commit, so the model never sees this.
    (r / "src" / "util.py").write_text("def half(n):\n    return n // 2  # on disk only\n")
    monkeypatch.chdir(r)
    return r


def tool_results(request: dict[str, Any]) -> list[str]:
    return [m["content"] for m in messages_of(request) if m["role"] == "tool"]


def test_a_branch_review_lets_the_model_read_the_reviewed_commit(
    repo: Path, model: FakeModel, capsys: pytest.CaptureFixture[str]
) -> None:
    model.queue(
        [
            calls(
                tool_call("find_definitions", {"symbol": "half"}),
                tool_call("search", {"pattern": "on disk only"}),
            ),
            findings([BUG]),
        ]
    )
    assert main(["--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "Repository tools: " in messages_of(model.requests[0])[0]["content"]
    definitions, search = tool_results(model.requests[1])
    assert definitions.splitlines()[1:] == [
        "src/util.py lines 1-2: function",
        "1: def half(n):",
        "2:     return n / 2",
    ]
    assert search.startswith("search for literal text 'on disk only': 0 matching line(s)")
    assert (out["usage"]["tool_calls"], out["usage"]["tool_rounds"]) == (2, 1)
    assert len(out["comments"]) == 1


def test_the_text_usage_line_counts_the_calls(
    repo: Path, model: FakeModel, capsys: pytest.CaptureFixture[str]
) -> None:
    model.queue([calls(tool_call("list_files", {})), findings([])])
    assert main(["--quiet"]) == 0
    captured = capsys.readouterr()
    assert "2 requests · 1 tool call in 1 round ·" in captured.out + captured.err


def test_a_diff_file_without_its_repository_offers_no_tools(
    tmp_path: Path, model: FakeModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    diff = "--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a = 1\n+a = 2\n"
    (tmp_path / "x.diff").write_text(diff)
    monkeypatch.chdir(tmp_path)
    model.queue([findings([])])
    assert main(["--diff", "x.diff", "--quiet"]) == 0
    (request,) = model.requests
    assert "tools" not in request["json"] and "tool_choice" not in request["json"]
    assert "Repository tools" not in messages_of(request)[0]["content"]
