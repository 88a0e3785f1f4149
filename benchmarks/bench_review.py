"""Review wall time against the fake model: concurrency and the pipeline's own overhead.

Starts the test suite's fake OpenAI-compatible server on 127.0.0.1 with a fixed delay per
request, plans a diff into ~10 chunks, runs the real review (prepare → model → assemble) and
prints the wall time against the slowest and the summed request times, plus the time spent
outside the model (target: < 100 ms for a 1,000-line PR).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fakes.openai_server import FakeModel, delayed, finding, findings

from bot.cli.local import diff_pull_request
from bot.config import RepoConfig
from bot.review.ask import ask_model
from bot.review.pipeline import assemble_review, prepare_review
from bot.settings import load_settings


def make_diff(files: int, lines_per_file: int) -> str:
    parts = []
    for i in range(files):
        body = "".join(
            f"+    value_{j} = compute({j}, factor={i})\n" for j in range(lines_per_file)
        )
        parts.append(
            f"diff --git a/pkg{i}/mod.py b/pkg{i}/mod.py\n--- /dev/null\n+++ b/pkg{i}/mod.py\n"
            f"@@ -0,0 +1,{lines_per_file} @@\n{body}"
        )
    return "".join(parts)


def one_finding_per_file(delay: float) -> Any:
    """Replies naming each file of the chunk once, so anchoring and dedupe have work to do."""

    def reply(request: dict[str, Any]) -> Any:
        paths = re.findall(r"### File: (\S+)", request["json"]["messages"][-1]["content"])
        factors = [p.removeprefix("pkg").split("/")[0] for p in paths]  # pkg{i}/mod.py
        found = [
            finding(path=p, line=1, title=f"issue in {p}", code=f"value_0 = compute(0, factor={i})")
            for p, i in zip(paths, factors, strict=True)
        ]
        return delayed(delay, findings(found))

    return reply


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--delay", type=float, default=0.5, help="seconds per model request")
    ap.add_argument("--lines", type=int, default=1000, help="changed lines in the PR")
    ap.add_argument("--chunks", type=int, default=10, help="aim for this many requests")
    args = ap.parse_args()
    files = args.chunks
    diff = make_diff(files, args.lines // files)
    with FakeModel() as fake:
        fake.script(one_finding_per_file(args.delay))
        os.environ.update({"XAI_API_KEY": "bench", "GROK_REVIEW_BASE_URL": fake.url})
        # A context just big enough for one file per request gives ~`chunks` requests.
        settings = load_settings(context_tokens=6_000, max_output_tokens=1_000, concurrency=10)
        started = time.perf_counter()
        import bot.model.client  # noqa: F401  (the openai client; ask_model imports it on first use)

        import_s = time.perf_counter() - started
        t0 = time.perf_counter()
        pr = diff_pull_request(diff)
        prepared = prepare_review(pr, RepoConfig(), settings)
        t1 = time.perf_counter()
        results = ask_model(prepared, settings)
        t2 = time.perf_counter()
        review = assemble_review(prepared, results)
        t3 = time.perf_counter()
    n = len(prepared.chunk_texts)
    print(f"max in flight:      {fake.max_in_flight}")
    print(f"changed lines:      {prepared.plan.changed_lines_total}")
    print(f"requests:           {n} (each delayed {args.delay:.2f} s by the fake)")
    print(f"wall time:          {t3 - t0:.3f} s")
    print(f"slowest request:    {args.delay:.3f} s;  sum of requests: {n * args.delay:.3f} s")
    print(f"model phase:        {t2 - t1:.3f} s (concurrency {settings.concurrency})")
    print(f"client import:      {import_s:.3f} s (once per process, before the timing above)")
    overhead_ms = ((t1 - t0) + (t3 - t2)) * 1000
    print(f"pipeline overhead:  {overhead_ms:.1f} ms (parse+plan+prompt, anchor+dedupe)")
    found = len(review.comments) + len(review.overflow)
    print(f"findings:           {found} anchored; errors: {len(review.errors)}")
    print("result:             " + ("within target" if overhead_ms < 100 else "OUTSIDE TARGET"))


if __name__ == "__main__":
    main()
