"""Benchmark: building the repository snapshot a review reads its context from.

Prints, for this repository and for a generated 1,300-file repository:
- local (git objects): time to list the head commit and read every file, git processes;
- through the fake GitHub on 127.0.0.1 (real PyGithub and requests; the archive is real
  `git archive` output): time, API requests, bytes downloaded;
- memory: peak RSS and Python's peak allocations of a child process that fetches the
  1,300-file archive and keeps the snapshot, against the same child without the fetch.

    python benchmarks/bench_snapshot.py [--files 1300] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.gitrepo import git, git_bytes  # noqa: E402
from bot.context import git as context_git  # noqa: E402
from bot.context.git import commit_snapshot, head_commit  # noqa: E402

REPO = "bench/repo"
WORDS = ("Request", "Client", "Token", "Cache", "Index", "User", "Item", "Value", "Stream", "Queue")


def generated_repo(where: Path, *, files: int, seed: int) -> Path:
    """A git repository of `files` source files, 200 B to 60 KB (median about 5 KB)."""
    rnd = random.Random(seed)
    where.mkdir(parents=True)
    git(where, "init", "-q")
    exts = (".py", ".ts", ".go", ".java", ".rs", ".md")
    words = [f"{a}{b}" for a in ("get", "set", "make", "load", "read", "parse") for b in WORDS]
    for i in range(files):
        d = f"pkg{i % 23}/sub{i % 7}"
        size = int(min(60_000, max(200, rnd.lognormvariate(8.5, 1.0))))
        lines, length = [], 0
        while length < size:
            w = rnd.choices(words, k=4)
            lines.append(f"    {w[0]}_{rnd.randrange(999)} = {w[1]}({w[2]}, {w[3]})\n")
            length += len(lines[-1])
        text = "".join(lines)
        path = where / d / f"mod{i}{rnd.choice(exts)}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    git(where, "add", ".")
    git(where, "commit", "-qm", "generated")
    return where


def bench_local(top: Path) -> dict[str, Any]:
    started: list[str] = []
    real = subprocess.Popen

    def counting(argv: Any, *args: Any, **kwargs: Any) -> Any:
        started.append(" ".join(argv[1:3]))
        return real(argv, *args, **kwargs)

    context_git.subprocess.Popen = counting  # type: ignore[misc]
    try:
        t0 = time.perf_counter()
        head = head_commit(top) or ""
        snap = commit_snapshot(top, head, base=None)
        listed = time.perf_counter() - t0
        read = sum(len(snap.read(p) or "") for p in snap.paths())
        total = time.perf_counter() - t0
        snap.close()
    finally:
        context_git.subprocess.Popen = real  # type: ignore[misc]
    return {
        "files": len(snap.paths()),
        "text_bytes_read": read,
        "list_s": round(listed, 4),
        "list_and_read_all_s": round(total, 4),
        "git_processes": started,
    }


def tree_of(top: Path) -> dict[str, Any]:
    """path -> (mode, bytes) of every regular file at HEAD, read by one `git cat-file`."""
    out = git_bytes(top, "ls-tree", "-r", "-z", "--full-tree", "HEAD")
    objects = context_git.CatFile(top)
    files: dict[str, Any] = {}
    try:
        for record in out.split(b"\0"):
            meta, _, name = record.partition(b"\t")
            if not name:
                continue
            mode, _, sha = meta.decode().split()
            if mode.startswith("100"):
                files[name.decode()] = (mode, objects.blob(sha))
    finally:
        objects.close()
    return files


def bench_fake(top: Path, **settings: Any) -> dict[str, Any]:
    from bot.github.api import GitHubClient
    from bot.github.snapshot import fetch_snapshot
    from bot.models import PullRequest
    from bot.settings import Settings
    from tests.fakes.github import FakeGitHub

    head = git(top, "rev-parse", "HEAD").strip()
    archive = git_bytes(
        top, "archive", "--format=tar.gz", f"--prefix=bench-repo-{head[:7]}/", "HEAD"
    )
    with FakeGitHub() as fake:
        fake.add_commit_files(REPO, head, tree_of(top))
        fake.set_archive(REPO, head, archive)
        config = Settings(github_token="tok-write", github_api_url=fake.url, **settings)
        client = GitHubClient.from_token(config)
        changed = sorted(fake.git.trees[(REPO, head)])[:1]
        from bot.diff.parse import parse_diff

        files = parse_diff(f"--- a/{changed[0]}\n+++ b/{changed[0]}\n@@ -1 +1 @@\n-x\n+y\n")
        t0 = time.perf_counter()
        snap, note = fetch_snapshot(
            client, PullRequest(repo=REPO, head_sha=head), files, settings=config
        )
        elapsed = time.perf_counter() - t0
        api = [r for r in fake.requests if not r.path.startswith("/codeload/")]
        return {
            "files": len(snap.paths()) if snap else 0,
            "readable": sum(1 for p in snap.paths() if snap.read(p) is not None) if snap else 0,
            "seconds": round(elapsed, 4),
            "api_requests": len(api),
            "downloads": len(fake.calls("GET", "/codeload/")),
            "archive_bytes": len(archive),
            "note": note,
        }


CHILD = r"""
import json, resource, sys, tracemalloc
sys.path.insert(0, sys.argv[1])
from bot.github.api import GitHubClient
from bot.github.snapshot import fetch_snapshot
from bot.models import PullRequest
from bot.settings import Settings
from tests.fakes.github import FakeGitHub
archive = open(sys.argv[2], "rb").read()
head = sys.argv[3]
fetch = sys.argv[4] == "fetch"
with FakeGitHub() as fake:
    fake.add_commit_files("bench/repo", head, {})
    fake.set_archive("bench/repo", head, archive)
    settings = Settings(github_token="tok-write", github_api_url=fake.url)
    client = GitHubClient.from_token(settings)
    def vm(name):
        for line in open("/proc/self/status"):
            if line.startswith(name):
                return int(line.split()[1]) / 1024
    before = vm("VmRSS:")
    tracemalloc.start()
    snap = None
    if fetch:
        snap, note = fetch_snapshot(client, PullRequest(repo="bench/repo", head_sha=head), [],
                                    settings=settings)
    current, peak = tracemalloc.get_traced_memory()
    print(json.dumps({"rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "rss_before_mb": before, "rss_after_mb": vm("VmRSS:"),
                      "py_peak_mb": peak / 2**20, "py_kept_mb": current / 2**20,
                      "files": len(snap.paths()) if snap else 0}))
"""


def bench_memory(top: Path, tmp: Path) -> dict[str, Any]:
    head = git(top, "rev-parse", "HEAD").strip()
    archive = tmp / "repo.tar.gz"
    archive.write_bytes(
        git_bytes(top, "archive", "--format=tar.gz", f"--prefix=bench-repo-{head[:7]}/", "HEAD")
    )
    results = {}
    for mode in ("baseline", "fetch"):
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(ROOT), str(archive), head, mode],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        results[mode] = json.loads(out)
    raw = sum(entry.size or 0 for entry in context_git.list_tree(top, "HEAD").values())
    return {
        "archive_mb": round(archive.stat().st_size / 2**20, 2),
        "files_mb": round(raw / 2**20, 2),
        "files": results["fetch"]["files"],
        "peak_rss_mb_without_fetch": round(results["baseline"]["rss_mb"], 1),
        "peak_rss_mb_with_snapshot": round(results["fetch"]["rss_mb"], 1),
        "rss_growth_mb": round(
            results["fetch"]["rss_after_mb"] - results["fetch"]["rss_before_mb"], 1
        ),
        "py_peak_mb": round(results["fetch"]["py_peak_mb"], 1),
        "py_kept_mb": round(results["fetch"]["py_kept_mb"], 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        big = generated_repo(Path(tmp) / "gen", files=args.files, seed=args.seed)
        report["this_repository"] = {
            "local_git": bench_local(ROOT),
            "fake_github_archive": bench_fake(ROOT),
        }
        report[f"generated_{args.files}_files"] = {
            "local_git": bench_local(big),
            "fake_github_archive": bench_fake(big),
            "fake_github_large_repo_mode": bench_fake(big, snapshot_archive_mb=1),
            "memory": bench_memory(big, Path(tmp)),
        }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
