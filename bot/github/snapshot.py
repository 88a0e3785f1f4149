"""The repository at a pull request's head, for context: from the Action's workspace when it
holds the head commit, from the App's cache, else through the API (an archive of the head, or
the files near the change when the repository is large). Never fatal."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import requests

from bot.config import RepoConfig
from bot.context.archive import ArchiveLimits, ArchiveReport, read_archive
from bot.context.cache import SnapshotCache, ZipSnapshot
from bot.context.git import commit_snapshot, head_commit
from bot.context.near import files_near_change
from bot.context.patch import PatchedBase
from bot.context.snapshot import MAX_TOTAL_BYTES, MemorySnapshot, Snapshot, failure_note
from bot.diff.filters import filter_files
from bot.errors import GitHubAccessError, GitHubError, SnapshotError
from bot.github.api import GitHubClient
from bot.github.data import GitTree
from bot.models import FileDiff, PullRequest
from bot.settings import Settings

# API requests, by case (each a GitHub REST request; the archive download itself goes to
# codeload, not the API):
# - workspace holding the head commit, or a cached snapshot: none;
# - a head tree of at most `snapshot_archive_mb`: two (the tree, the archive's address);
# - a larger (or truncated) tree: one, plus one per file fetched (`snapshot_blob_files`).
# The tree comes first because its sizes decide, before anything is downloaded, whether the
# archive is worth fetching; it also lists every path of a large repository.

Outcome = tuple[Snapshot | None, str | None]  # (snapshot, context note)


def snapshot_for(
    client: GitHubClient,
    pr: PullRequest,
    files: Sequence[FileDiff],
    config: RepoConfig,
    *,
    settings: Settings,
    workspace: Path | None = None,
    cache: SnapshotCache | None = None,
) -> Outcome:
    """The snapshot a review or an answer of `files` reads (fetch_snapshot), or (None, None)
    with no request when nothing would read it: no changed line left after the config's
    filters, or neither context nor the model's tools on."""
    kept, _ = filter_files(files, config)
    if not any(f.hunks for f in kept) or not config.reads_repository:
        return None, None
    return fetch_snapshot(client, pr, files, settings=settings, workspace=workspace, cache=cache)


def fetch_snapshot(
    client: GitHubClient,
    pr: PullRequest,
    files: Sequence[FileDiff],
    *,
    settings: Settings,
    workspace: Path | None = None,
    cache: SnapshotCache | None = None,
) -> Outcome:
    """The head of `pr` as a snapshot whose base is rebuilt from `files` (the diff
    reviewed), and a one-line note when context is missing or partial. Never raises."""
    try:
        snapshot, note = _fetch(client, pr, files, settings, workspace=workspace, cache=cache)
    except Exception as exc:  # a snapshot must never stop a review (BotError or a bug)
        return None, failure_note(exc)
    return (PatchedBase(snapshot, files) if snapshot is not None else None), note


def _fetch(
    client: GitHubClient,
    pr: PullRequest,
    files: Sequence[FileDiff],
    settings: Settings,
    *,
    workspace: Path | None,
    cache: SnapshotCache | None,
) -> Outcome:
    repo, head = pr.repo or "", pr.head_sha or ""
    if not repo or not head:
        return None, "none: the head commit is not known"
    if workspace is not None and head_commit(workspace) == head:
        try:
            return commit_snapshot(workspace, head, base=None), None
        except SnapshotError:
            pass  # not readable after all: fetch it
    cached = cache.get(repo, head) if cache is not None else None
    if cached is not None:
        return cached, cached.note
    tree = client.fetch_tree(repo, head)
    total = sum(size for _, size in tree.files.values())
    limit = settings.snapshot_archive_mb << 20
    if not tree.truncated and total <= limit:
        return _from_archive(client, repo, head, settings, cache=cache)
    changed = [f.path for f in files if f.status != "deleted"]
    return _from_blobs(client, repo, tree, changed, settings, total=total, head=head)


def _from_archive(
    client: GitHubClient,
    repo: str,
    head: str,
    settings: Settings,
    *,
    cache: SnapshotCache | None,
) -> Outcome:
    limits = ArchiveLimits(max_total=min(settings.snapshot_archive_mb << 20, MAX_TOTAL_BYTES))
    writer = cache.writer(repo, head) if cache is not None else None
    if cache is None or writer is None:  # in memory: the CLI, the Action, a cache of size 0
        kept: dict[str, bytes] = {}
        report = download_archive(client, repo, head, settings, kept.__setitem__, limits)
        note = _cut_note(report.cut)
        return MemorySnapshot(kept, source="github", listed=report.listed), note
    try:
        report = download_archive(client, repo, head, settings, writer.add, limits)
        note = _cut_note(report.cut)
        path = writer.commit(listed=report.listed, note=note)
    except BaseException:
        writer.discard()
        raise
    snapshot = ZipSnapshot(path)
    cache.prune()
    return snapshot, note


def download_archive(
    client: GitHubClient,
    repo: str,
    head: str,
    settings: Settings,
    on_file: Callable[[str, bytes], None],
    limits: ArchiveLimits,
) -> ArchiveReport:
    """Stream the tarball of `head` through the archive rules into `on_file`. The download
    address needs no token, so none is sent to it."""
    url = client.archive_url(repo, head)
    deadline = time.monotonic() + settings.snapshot_timeout_s
    try:
        with requests.get(
            url, stream=True, timeout=settings.snapshot_timeout_s, allow_redirects=True
        ) as response:
            if response.status_code != 200:
                raise SnapshotError(f"the archive download failed ({response.status_code})")
            chunks = response.iter_content(1 << 16)  # requests' errors, content decoded
            return read_archive(_Chunks(chunks, deadline), on_file, limits=limits)
    except requests.RequestException as exc:
        raise SnapshotError(f"the archive download failed ({type(exc).__name__})") from None


def _from_blobs(
    client: GitHubClient,
    repo: str,
    tree: GitTree,
    changed: Sequence[str],
    settings: Settings,
    *,
    total: int,
    head: str,
) -> Outcome:
    sizes = {path: size for path, (_, size) in tree.files.items()}
    chosen = files_near_change(
        sizes,
        changed,
        max_files=settings.snapshot_blob_files,
        max_bytes=settings.snapshot_archive_mb << 20,
    )
    # A truncated tree may leave changed files out: those come by path (contents API).
    unlisted = [p for p in changed if p not in tree.files]
    wanted = [*unlisted, *chosen][: settings.snapshot_blob_files]
    deadline = time.monotonic() + settings.snapshot_timeout_s
    kept: dict[str, bytes] = {}
    stopped = ""
    for path in wanted:
        if time.monotonic() > deadline:
            stopped = f"; stopped after {settings.snapshot_timeout_s:g} s"
            break
        try:
            data = _fetch_one(client, repo, tree, path, head=head)
        except GitHubAccessError as exc:
            stopped = f"; stopped: {exc.message}"
            break
        except GitHubError:
            continue  # this file only
        if data is not None:
            kept[path] = data
    listed = sorted(tree.files.keys() | kept.keys())
    size = "more than 100,000 files" if tree.truncated else f"{len(listed):,} files"
    note = (
        f"large repository ({size}, {total / (1 << 20):,.0f} MB): context from the "
        f"{len(kept)} files nearest the change{stopped}"
    )
    return MemorySnapshot(kept, source="github", listed=listed), note


def _fetch_one(
    client: GitHubClient, repo: str, tree: GitTree, path: str, *, head: str
) -> bytes | None:
    if path in tree.files:
        return client.fetch_blob(repo, tree.files[path][0])
    text = client.fetch_file(repo, path, ref=head)
    return text.encode() if text is not None else None


def _cut_note(cut: str | None) -> str | None:
    return f"partial repository context: {cut}" if cut else None


class _Chunks:
    """A download as a stream, failing once the whole of it takes longer than allowed (a
    timeout per read alone lets a server drip bytes for ever)."""

    def __init__(self, chunks: Iterator[bytes], deadline: float) -> None:
        self._chunks, self._deadline, self._left = chunks, deadline, b""

    def read(self, size: int = -1, /) -> bytes:
        while not self._left:
            if time.monotonic() > self._deadline:
                raise SnapshotError("the archive download took too long")
            chunk = next(self._chunks, None)
            if chunk is None:
                return b""
            self._left = chunk
        n = len(self._left) if size < 0 else min(size, len(self._left))
        out, self._left = self._left[:n], self._left[n:]
        return out
