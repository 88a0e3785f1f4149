"""Benchmark: the model's repository tools and the tool loop, on a generated 1,300-file repo.

Prints:
- tool execution time over the repository's head commit (git objects): the first search
  (which reads every file once), then searches (literal, RE2, with a path glob),
  definitions, references, a file read and a listing (goal: a search < 200 ms);
- a review of a three-file change against a scripted fake model (tests/fakes, real openai
  client) that calls tools for three rounds and then answers: per request, the prompt
  tokens (our estimate, counted the way the planner counts), the tokens new since the
  request before, the share of the prompt that is an exact prefix of the request before
  (goal >= 90 %: the provider's prompt cache serves it), the calls the reply made and how
  long they took to run.

    python benchmarks/bench_tools.py [--files 1300] [--seed 7] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.gitrepo import git  # noqa: E402
from bot.config import RepoConfig  # noqa: E402
from bot.context.git import commit_snapshot  # noqa: E402
from bot.context.tools import Toolbox, ToolResult  # noqa: E402
from bot.diff.parse import parse_diff  # noqa: E402
from bot.model import client as llm  # noqa: E402
from bot.model.toolcalls import TOOLS_TOKENS, conversation_tokens  # noqa: E402
from bot.models import PullRequest  # noqa: E402
from bot.pricing import price_for  # noqa: E402
from bot.review.pipeline import prepare_review  # noqa: E402
from bot.review.tools import tool_options  # noqa: E402
from bot.settings import Settings  # noqa: E402
from tests.fakes.openai_server import FakeModel, calls, findings, tool_call  # noqa: E402
from tests.model.helpers import review_chunks  # noqa: E402

SEARCH_GOAL_S = 0.200
PREFIX_GOAL = 0.90


def _source(i: int, ext: str, blocks: int, rnd: random.Random, files: int) -> str:
    """A file of `blocks` functions, each calling a function of another file."""
    out = []
    for b in range(blocks):
        j, c = rnd.randrange(files), rnd.randrange(3)
        if ext == ".py":
            out.append(
                f"def func_{i}_{b}(value):\n    total = func_{j}_{c}(value) + {i}\n"
                f"    for item in range(value):\n        total += helper_{b}(item)\n"
                "    return total\n\n\n"
            )
        elif ext == ".ts":
            out.append(
                f"export function func_{i}_{b}(value: number): number {{\n"
                f"  const total = func_{j}_{c}(value) + {i};\n  return total * {b};\n}}\n\n"
            )
        elif ext == ".go":
            out.append(
                f"func Func{i}x{b}(value int) int {{\n\ttotal := Func{j}x{c}(value) + {i}\n"
                f"\treturn total * {b}\n}}\n\n"
            )
        else:
            out.append(f"Section {b} of document {i}: func_{j}_{c} is described here.\n\n")
    return "".join(out)


def generated_repo(where: Path, *, files: int, seed: int, changed: int = 40) -> Path:
    """`files` files in 23 x 7 directories (Python, TypeScript, Go, Markdown), about 7 KB
    each (lognormal sizes), committed; then a head commit changing `changed` source files
    (two lines each, a pull request of a few hundred changed lines)."""
    rnd = random.Random(seed)
    where.mkdir(parents=True)
    git(where, "init", "-q", "-b", "main")
    exts = (".py", ".ts", ".go", ".md")
    paths = []
    for i in range(files):
        ext = exts[i % len(exts)]
        blocks = max(1, int(rnd.lognormvariate(4.0, 0.8)))
        path = where / f"pkg{i % 23}" / f"sub{i % 7}" / f"mod{i}{ext}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_source(i, ext, blocks, rnd, files))
        paths.append(path)
    git(where, "add", ".")
    git(where, "commit", "-qm", "base")
    for path in [p for p in paths if p.suffix != ".md"][:changed]:
        text = path.read_text()
        for old, new in (("    return total\n", "    return total - 1\n"), (") + ", ") - ")):
            text = text.replace(old, new, 2)
        path.write_text(text)
    git(where, "commit", "-qam", "head")
    return where


def timed(box: Toolbox, name: str, args: dict[str, Any], runs: int) -> tuple[float, float, str]:
    """Seconds of the first call (what it parses or reads stays for the run), the median of
    `runs` calls after it, and the result's first line."""
    t0 = time.perf_counter()
    result = box.run(name, json.dumps(args), max_tokens=8000)
    first = time.perf_counter() - t0
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        box.run(name, json.dumps(args), max_tokens=8000)
        times.append(time.perf_counter() - t0)
    return first, statistics.median(times), result.text.splitlines()[0]


def bench_tools(top: Path, runs: int) -> tuple[list[tuple[str, float, float, str]], bool]:
    head = git(top, "rev-parse", "HEAD").strip()
    snapshot = commit_snapshot(top, head, base=None)
    try:
        box = Toolbox(snapshot)
        cases = [
            ("search literal (first reads every file)", "search", {"pattern": "func_17_1("}),
            ("search RE2, broad", "search", {"pattern": r"total = func_\d+_0\(", "regex": True}),
            ("search RE2 (?i), glob", "search", {"pattern": "(?i)FUNC_3_", "regex": True,
                                                  "path_glob": "pkg3/**/*.py"}),
            ("search, no match", "search", {"pattern": "no such text anywhere"}),
            ("find_definitions", "find_definitions", {"symbol": "func_17_1"}),
            ("find_references", "find_references", {"symbol": "func_17_1"}),
            ("read_file", "read_file", {"path": "pkg17/sub3/mod17.ts"}),
            ("list_files glob", "list_files", {"glob": "pkg1/**/*.go"}),
        ]  # fmt: skip
        rows = [(label, *timed(box, name, args, runs)) for label, name, args in cases]
        searches = [t for label, *times, _ in rows if label.startswith("search") for t in times]
        return rows, max(searches) < SEARCH_GOAL_S
    finally:
        snapshot.close()


ROUNDS = (
    # What a reviewer asks: where a called function is defined and used, a few lines of it.
    (
        tool_call("search", {"pattern": "func_17_1("}),
        tool_call("find_definitions", {"symbol": "func_17_1"}),
    ),
    (
        tool_call("read_file", {"path": "pkg17/sub3/mod17.ts", "start_line": 1, "end_line": 40}),
        tool_call("find_references", {"symbol": "func_17_1"}),
    ),
    (tool_call("list_files", {"glob": "pkg17/**/*.py"}),),
)
# The same, but the second round also runs a search so broad that its result fills a call's
# whole cap (8,000 tokens): the largest a single call can add to the conversation.
BROAD = (
    ROUNDS[0],
    (*ROUNDS[1], tool_call("search", {"pattern": r"total = func_\d+_0\(", "regex": True})),
    ROUNDS[2],
)


def scripted(rounds: tuple[tuple[dict[str, Any], ...], ...]) -> Any:
    """A model that makes `rounds` of calls and then answers; usage reports our estimate."""

    def reply(request: dict[str, Any]) -> Any:
        messages = request["json"]["messages"]
        done = sum(1 for m in messages if m.get("tool_calls"))
        tokens = conversation_tokens(messages) + TOOLS_TOKENS
        answer = calls(*rounds[done]) if done < len(rounds) else findings([])
        return type(answer)(**{**answer.__dict__, "prompt_tokens": tokens})

    return reply


def common_prefix_tokens(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> int:
    """Tokens of the messages `after` shares with `before`, from the start, exactly."""
    shared = 0
    for a, b in zip(before, after, strict=False):
        if a != b:
            break
        shared += 1
    return conversation_tokens(after[:shared]) + TOOLS_TOKENS


def bench_loop(top: Path, rounds: Any) -> tuple[list[dict[str, Any]], bool]:
    head = git(top, "rev-parse", "HEAD").strip()
    base = git(top, "rev-parse", "HEAD~1").strip()
    snapshot = commit_snapshot(top, head, base=base)
    files = parse_diff(git(top, "diff", base, head))
    with FakeModel() as fake:
        fake.script(scripted(rounds))
        settings = Settings(api_key="k", base_url=fake.url, prices={}, retry_base_s=0)
        pr = PullRequest(title="Off by one", files=files, head_sha=head, base_sha=base)
        prepared = prepare_review(pr, RepoConfig(), settings, snapshot=snapshot)
        tools = tool_options(
            prepared.plan,
            prepared.snapshot,
            prepared.index,
            price=price_for(settings.model),
            caps=(None, None),
        )
        assert tools is not None
        spent: list[float] = []
        real_run = tools.toolbox.run

        def run(name: str, arguments: str, *, max_tokens: int) -> ToolResult:
            t0 = time.perf_counter()
            try:
                return real_run(name, arguments, max_tokens=max_tokens)
            finally:
                spent.append(time.perf_counter() - t0)

        tools.toolbox.run = run  # type: ignore[method-assign]

        results = review_chunks(
            settings,
            model=prepared.model,
            prefix_messages=prepared.prefix_messages,
            chunk_texts=prepared.chunk_texts,
            conv_id=prepared.conv_id,
            state=llm.new_run_state(settings, tools=tools),
        )
        requests = list(fake.requests)
    snapshot.close()
    rows = []
    for number, request in enumerate(requests):
        messages = request["json"]["messages"]
        tokens = conversation_tokens(messages) + TOOLS_TOKENS
        row: dict[str, Any] = {"request": number + 1, "prompt_tokens": tokens}
        if number:
            before = requests[number - 1]["json"]["messages"]
            shared = common_prefix_tokens(before, messages)
            row["new_tokens"] = tokens - shared
            row["prefix_share"] = shared / tokens
            row["whole_before"] = messages[: len(before)] == before
        rows.append(row)
    ok = all(
        r.get("prefix_share", 1.0) >= PREFIX_GOAL and r.get("whole_before", True) for r in rows
    )
    usage = sum((r.usage for r in results), type(results[0].usage)())
    rows.append(
        {
            "tool_calls": usage.tool_calls,
            "tool_rounds": usage.tool_rounds,
            "requests": usage.requests,
            "chunks": len(results),
            "tool_seconds_total": round(sum(spent), 4),
            "tool_seconds_max": round(max(spent, default=0.0), 4),
        }
    )
    return rows, ok


def print_loop(loop: list[dict[str, Any]]) -> None:
    print("request  prompt tokens  new tokens  exact prefix of the request before  all of it")
    for row in loop[:-1]:
        share = f"{row['prefix_share']:.1%}" if "prefix_share" in row else "-"
        new = f"{row['new_tokens']:,}" if "new_tokens" in row else "-"
        whole = {True: "yes", False: "NO"}.get(row.get("whole_before"), "-")  # type: ignore[arg-type]
        print(
            f"{row['request']:>7}  {row['prompt_tokens']:>13,}  {new:>10}  {share:>34}  {whole:>9}"
        )
    print(json.dumps(loop[-1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=1300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        top = generated_repo(Path(tmp) / "repo", files=args.files, seed=args.seed)
        size = sum(
            p.stat().st_size for p in top.rglob("*") if p.is_file() and ".git" not in p.parts
        )
        print(f"repository: {args.files:,} files, {size / 1e6:.1f} MB of text (seed {args.seed})")
        rows, search_ok = bench_tools(top, args.runs)
        print(f"\n{'tool':<40}  first    then  result")
        for label, first, then, text in rows:
            print(f"{label:<40} {first * 1000:5.1f} ms {then * 1000:5.1f} ms  {text[:60]}")
        print(f"search goal < {SEARCH_GOAL_S * 1000:.0f} ms: {'met' if search_ok else 'MISSED'}")
        typical, prefix_ok = bench_loop(top, ROUNDS)
        broad, _ = bench_loop(top, BROAD)
    for title, loop in (("typical calls", typical), ("a broad search in round 2", broad)):
        print(f"\n{title}:")
        print_loop(loop)
    print(f"prefix goal >= {PREFIX_GOAL:.0%} (typical calls): {'met' if prefix_ok else 'MISSED'}")
    return 0 if search_ok and prefix_ok else 1


if __name__ == "__main__":
    sys.exit(main())
