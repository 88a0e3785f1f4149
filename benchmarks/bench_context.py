"""Benchmark: repository context on real pull requests from public projects' git history.

For each repository (a git directory in --repos, e.g. brought there by `git clone --mirror`)
it takes recent first-parent commits (merge commits when the project merges) as pull
requests, builds the snapshot of the head and base in memory from git objects, plans the
review as `review-pr` would (default settings and config) and prints, per language:

- recall: calls on added lines whose callee is defined exactly once in the repository,
  outside the diff (every file of the language parsed, no shortcut), and the share whose
  definition's name line is in the request that carries the call (as context, or shown by
  that request's diff); beside it the same share without context;
- prompt tokens of all requests with context against the same plan without it;
- wall time of the context work (index, selection, rendering estimates) per PR, snapshot
  already in memory; and, with --timing, for one large PR in a large repository.

    python benchmarks/bench_context.py --repos ~/.cache/grok-review-bench/repos
    python benchmarks/bench_context.py --repos DIR --only pallets/flask --prs 5 --verbose
    python benchmarks/bench_context.py --repos DIR --timing sphinx-doc/sphinx

Nothing here is read by the tests; the repositories stay outside the project.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import RepoConfig  # noqa: E402
from bot.context.git import list_tree  # noqa: E402
from bot.context.languages import family_of, language_of  # noqa: E402
from bot.context.snapshot import MemorySnapshot  # noqa: E402
from bot.context.symbols import parse_symbols  # noqa: E402
from bot.diff.parse import decode_diff, parse_diff  # noqa: E402
from bot.models import Chunk, PullRequest  # noqa: E402
from bot.pricing import price_for  # noqa: E402
from bot.review.context import add_context  # noqa: E402
from bot.review.pipeline import prepare_review  # noqa: E402
from bot.settings import Settings  # noqa: E402

# Repository, the language measured in it.
DEFAULT_REPOS = {
    "pallets/flask": "python",
    "encode/httpx": "python",
    "hynek/structlog": "python",
    "colinhacks/zod": "typescript",
    "sindresorhus/ky": "typescript",
    "gin-gonic/gin": "go",
    "spf13/cobra": "go",
    "BurntSushi/ripgrep": "rust",
    "google/gson": "java",
    "expressjs/express": "javascript",
    "fmtlib/fmt": "cpp",
}
TARGETS = {"recall": {"python": 0.9, "other": 0.8}, "tokens_ratio": 3.0, "timing_s": 1.0}
MAX_FILES = 40  # a "typical" PR for the recall figures
MAX_CHANGED_LINES = 1_500


@dataclass
class Tally:
    calls: int = 0
    found: int = 0
    found_without: int = 0
    prs: int = 0
    tokens: int = 0
    tokens_without: int = 0
    ratios: list[float] = field(default_factory=list)
    context: list[int] = field(default_factory=list)  # context tokens per request
    seconds: list[float] = field(default_factory=list)


class Repo:
    """A git directory read with plain git commands."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._blobs: dict[str, bytes] = {}
        self._symbols: dict[tuple[str, str], tuple[str, ...]] = {}

    def git(self, *args: str, stdin: bytes | None = None) -> bytes:
        cmd = ["git", "-C", str(self.path), *args]
        return subprocess.run(cmd, input=stdin, capture_output=True, check=True).stdout

    def tree(self, rev: str) -> dict[str, str]:
        """path -> blob id of every regular file at `rev`."""
        return {path: entry.sha for path, entry in list_tree(self.path, rev).items()}

    def blobs(self, shas: Iterable[str]) -> dict[str, bytes]:
        wanted = [s for s in dict.fromkeys(shas) if s not in self._blobs]
        if wanted:
            data = self.git("cat-file", "--batch", stdin="".join(f"{s}\n" for s in wanted).encode())
            pos = 0
            for sha in wanted:
                end = data.index(b"\n", pos)
                size = int(data[pos:end].split()[2])
                self._blobs[sha] = data[end + 1 : end + 1 + size]
                pos = end + 1 + size + 1
        return {s: self._blobs[s] for s in shas}

    def snapshot(self, commit: str) -> MemorySnapshot:
        head, base = self.tree(commit), self.tree(f"{commit}^1")
        data = self.blobs([*head.values(), *base.values()])
        return MemorySnapshot(
            {p: data[s] for p, s in head.items()},
            source="git",
            base={p: data[s] for p, s in base.items()},
        )

    def definition_names(self, path: str, sha: str) -> tuple[str, ...]:
        """Names defined in one file version, by a full parse (cached by blob)."""
        key = (path, sha)
        if key not in self._symbols:
            text = self.blobs([sha])[sha].decode("utf-8", "replace")
            symbols = parse_symbols(path, text)
            names = (
                ()
                if symbols is None
                else tuple(d.name for d in symbols.definitions if d.kind != "declaration")
            )
            self._symbols[key] = names
        return self._symbols[key]


def find_repo(root: Path, name: str) -> Path | None:
    owner, _, short = name.partition("/")
    for candidate in (
        root / f"{owner}+{short}" / "repo",
        root / f"{owner}+{short}",
        root / short,
        root / f"{short}.git",
    ):
        if (candidate / "HEAD").exists() or (candidate / ".git").exists():
            return candidate
    return None


def pick_prs(repo: Repo, language: str, count: int) -> list[str]:
    """Recent first-parent commits (merges when the project merges) that change code of
    `language`: 1 to MAX_FILES files, at most MAX_CHANGED_LINES changed lines."""
    merges = repo.git("log", "--first-parent", "--merges", "--format=%H", "-400").split()
    commits = (
        merges
        if len(merges) >= count * 3
        else repo.git("log", "--first-parent", "--no-merges", "--format=%H", "-600").split()
    )
    out = []
    for sha in (c.decode() for c in commits):
        stat = repo.git("diff", "--numstat", f"{sha}^1", sha).decode().splitlines()
        rows = [line.split("\t") for line in stat if line.count("\t") >= 2]
        if not 1 <= len(rows) <= MAX_FILES:
            continue
        changed = sum(int(a) + int(d) for a, d, _ in rows if a != "-")
        ours = [p for a, _, p in rows if a != "-" and int(a) >= 3 and _same_family(p, language)]
        if ours and changed <= MAX_CHANGED_LINES:
            out.append(sha)
        if len(out) >= count:
            break
    return out


def _same_family(path: str, language: str) -> bool:
    found = language_of(path)
    return found is not None and family_of(found) == family_of(language)


def measure_pr(
    repo: Repo, sha: str, language: str, tally: Tally, *, config: RepoConfig, verbose: bool
) -> None:
    diff = repo.git("diff", "--no-color", "--find-renames", f"{sha}^1", sha)
    pr = PullRequest(title=sha[:10], files=parse_diff(decode_diff(diff)))
    settings = Settings()
    snapshot = repo.snapshot(sha)
    plain = prepare_review(pr, config, settings)  # the diff-only plan, as today
    started = time.perf_counter()
    plan = add_context(
        plain.plan,
        plain.files,
        snapshot,
        config.context,
        price=price_for(settings.model, settings.prices),
        max_cost_usd=config.max_cost_usd,
    )
    seconds = time.perf_counter() - started
    assert [c.files for c in plan.chunks] == [c.files for c in plain.plan.chunks]
    with_tokens = sum(c.estimated_tokens for c in plan.chunks)
    without = sum(c.estimated_tokens for c in plain.plan.chunks)
    calls, found, found_without = _recall(repo, sha, language, plan.chunks)
    tally.prs += 1
    tally.calls += calls
    tally.found += found
    tally.found_without += found_without
    tally.tokens += with_tokens
    tally.tokens_without += without
    tally.ratios.append(with_tokens / without if without else 1.0)
    tally.seconds.append(seconds)
    tally.context += [c.context_tokens for c in plan.chunks]
    if verbose:
        pieces = sum(len(c.context) for c in plan.chunks)
        print(
            f"  {sha[:10]} files {len(pr.files):>3}  requests {len(plan.chunks)}  calls "
            f"{found}/{calls} (diff only {found_without})  tokens {without:,} -> "
            f"{with_tokens:,}  pieces {pieces}  {seconds * 1000:.0f} ms"
        )


def _recall(repo: Repo, sha: str, language: str, chunks: Sequence[Chunk]) -> tuple[int, int, int]:
    """(calls counted, whose definition is in their request, ... in the diff-only request)."""
    head = repo.tree(sha)
    counts: Counter[str] = Counter()
    where: dict[str, tuple[str, int]] = {}
    family_paths = [p for p in head if _same_family(p, language)]
    for path in family_paths:
        for name in repo.definition_names(path, head[path]):
            counts[name] += 1
    wanted = {name for name, n in counts.items() if n == 1}
    added: dict[str, set[int]] = defaultdict(set)
    for chunk in chunks:
        for f in chunk.files:
            for h in f.hunks:
                added[f.path].update(
                    ln.new_no for ln in h.lines if ln.kind == "added" and ln.new_no
                )
    calls = found = found_without = 0
    for chunk in chunks:
        shown_diff: dict[str, set[int]] = defaultdict(set)
        for f in chunk.files:
            for h in f.hunks:
                shown_diff[f.path].update(ln.new_no for ln in h.lines if ln.new_no)
        shown_context: dict[str, set[int]] = defaultdict(set)
        for piece in chunk.context:
            if not piece.base:
                shown_context[piece.path].update(range(piece.start, piece.end + 1))
        for f in chunk.files:
            if not _same_family(f.path, language):
                continue
            mine = {ln.new_no for h in f.hunks for ln in h.lines if ln.kind == "added"}
            text = repo.blobs([head[f.path]])[head[f.path]].decode("utf-8", "replace")
            symbols = parse_symbols(f.path, text)
            if symbols is None:
                continue
            for ref in symbols.references(mine):
                if ref.kind != "call" or ref.line not in mine or ref.name not in wanted:
                    continue
                if ref.name not in where:
                    where[ref.name] = _definition_site(repo, head, family_paths, ref.name)
                path, line = where[ref.name]
                if line in added.get(path, ()):
                    continue  # defined by the PR itself: in the diff, not "outside" it
                calls += 1
                in_diff = line in shown_diff.get(path, ())
                found_without += in_diff
                found += in_diff or line in shown_context.get(path, ())
    return calls, found, found_without


def _definition_site(
    repo: Repo, head: dict[str, str], paths: Sequence[str], name: str
) -> tuple[str, int]:
    for path in paths:
        if name in repo.definition_names(path, head[path]):
            text = repo.blobs([head[path]])[head[path]].decode("utf-8", "replace")
            symbols = parse_symbols(path, text)
            assert symbols is not None
            return path, next(d.name_line for d in symbols.definitions if d.name == name)
    raise LookupError(name)


def timing(repo: Repo, *, files: tuple[int, int] = (35, 60), runs: int = 3) -> None:
    """Context time for the most recent PR of 35-60 files in a large repository."""
    total = len(repo.tree("HEAD"))
    for raw in repo.git("log", "--first-parent", "--format=%H", "-2000").split():
        sha = raw.decode()
        names = repo.git("diff", "--name-only", f"{sha}^1", sha).split()
        if files[0] <= len(names) <= files[1]:
            break
    else:
        print("  no PR of 35-60 files found")
        return
    diff = repo.git("diff", "--no-color", "--find-renames", f"{sha}^1", sha)
    pr = PullRequest(title=sha[:10], files=parse_diff(decode_diff(diff)))
    settings, config = Settings(), RepoConfig()
    plain = prepare_review(pr, config, settings)
    snapshot = repo.snapshot(sha)
    price = price_for(settings.model, settings.prices)
    seconds = []
    for _ in range(runs):  # a fresh index each run: nothing carries over
        started = time.perf_counter()
        plan = add_context(
            plain.plan, plain.files, snapshot, config.context, price=price, max_cost_usd=None
        )
        seconds.append(time.perf_counter() - started)
    tokens = sum(c.context_tokens for c in plan.chunks)
    pieces = sum(len(c.context) for c in plan.chunks)
    print(
        f"  {repo.path}: {total:,} files at HEAD; PR {sha[:10]} changes {len(pr.files)} files "
        f"({len(plain.files)} reviewed) in {len(plan.chunks)} request(s)"
    )
    print(
        f"  context: {pieces} pieces, {tokens:,} tokens; time {max(seconds):.2f} s (slowest of "
        f"{runs}, median {statistics.median(seconds):.2f} s; target <= {TARGETS['timing_s']} s)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=Path, required=True, help="directory of git repositories")
    parser.add_argument("--prs", type=int, default=12, help="pull requests per repository")
    parser.add_argument("--only", help="comma-separated OWNER/NAME from the default list")
    parser.add_argument("--timing", help="OWNER/NAME of a large repository for the time figure")
    parser.add_argument("--max-tokens", type=int, help="context.max_tokens (default: config's)")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    chosen = DEFAULT_REPOS
    if args.only:
        chosen = {n: DEFAULT_REPOS.get(n, "python") for n in args.only.split(",")}
    tallies: dict[str, Tally] = defaultdict(Tally)
    config = RepoConfig()
    if args.max_tokens is not None:
        config = RepoConfig(context={"enabled": True, "max_tokens": args.max_tokens})
    for name, language in chosen.items():
        path = find_repo(args.repos, name)
        if path is None:
            print(f"{name}: not found in {args.repos}, skipped")
            continue
        repo = Repo(path)
        shas = pick_prs(repo, language, args.prs)
        print(f"{name} ({language}): {len(shas)} PRs")
        for sha in shas:
            tally = tallies[family_of(language)]
            measure_pr(repo, sha, language, tally, config=config, verbose=args.verbose)
    print()
    print(
        f"{'language':<10}{'PRs':>5}{'calls':>7}{'recall':>8}{'diff only':>10}{'tokens x':>9}"
        f"{'median x':>9}{'ctx p50':>8}{'ctx p90':>8}{'ctx max':>8}{'ms p50':>7}{'ms max':>7}"
    )
    ok = True
    for family, t in sorted(tallies.items()):
        recall = t.found / t.calls if t.calls else float("nan")
        plain = t.found_without / t.calls if t.calls else float("nan")
        ratio = t.tokens / t.tokens_without if t.tokens_without else 1.0
        ctx = sorted(t.context)
        print(
            f"{family:<10}{t.prs:>5}{t.calls:>7}{recall:>8.1%}{plain:>10.1%}{ratio:>9.2f}"
            f"{statistics.median(t.ratios):>9.2f}{ctx[len(ctx) // 2]:>8,}"
            f"{ctx[len(ctx) * 9 // 10]:>8,}{ctx[-1]:>8,}"
            f"{statistics.median(t.seconds) * 1000:>7.0f}{max(t.seconds) * 1000:>7.0f}"
        )
        target = TARGETS["recall"]["python" if family == "python" else "other"]
        ok = ok and (not t.calls or recall >= target)
    if args.timing:
        path = find_repo(args.repos, args.timing)
        if path is not None:
            print()
            timing(Repo(path))
    print(
        "\nrecall: calls on added lines whose callee is defined once in the repository, outside"
        " the diff,\n        with the definition in the same request (diff only: without context)"
        "\ntokens x: all prompt tokens with context / without (whole; median PR); ctx: context"
        " tokens\n        per request; ms: context work per PR, snapshot in memory"
        "\ntargets: recall >= 90 % Python, >= 80 % other languages; typical PR tokens <= 3x"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
