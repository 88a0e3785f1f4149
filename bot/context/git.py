"""Snapshots from a local git repository: a commit's objects, the index, or the working tree.

git is only asked to list trees and print objects (`ls-tree`, `ls-files`, `cat-file`): no
hook, filter, textconv or checkout runs, and attributes in the repository are not consulted
(`cat-file` prints the stored blob as it is).
"""

from __future__ import annotations

import subprocess
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from bot.context.snapshot import (
    MAX_FILE_BYTES,
    MAX_TOTAL_BYTES,
    SnapshotSource,
    decode_text,
    safe_path,
)
from bot.errors import SnapshotError

REGULAR_MODES = frozenset({"100644", "100755"})  # not symlinks (120000) nor submodules (160000)


@dataclass(frozen=True)
class Entry:
    """A regular file in a tree or the index: its blob and, when git said, its size."""

    sha: str
    size: int | None = None


def run_git(top: Path, *args: str) -> bytes:
    """git's stdout; a failure (or no git) is a SnapshotError with git's last line."""
    try:
        # git from PATH, as the user runs it; fixed argv, no shell.
        proc = subprocess.run(  # noqa: S603
            ["git", *args],  # noqa: S607
            cwd=top,
            capture_output=True,
            check=False,
        )
    except OSError as exc:
        raise SnapshotError(f"cannot run git: {exc.strerror or exc}") from None
    if proc.returncode != 0:
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise SnapshotError(f"git {args[0]}: {lines[-1] if lines else 'failed'}")
    return proc.stdout


def head_commit(top: Path) -> str | None:
    """The commit checked out in `top`, or None when it is not a git checkout."""
    try:
        out = run_git(top, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    except SnapshotError:
        return None
    return out.decode().strip() or None


def list_tree(top: Path, commit: str) -> dict[str, Entry]:
    """Every regular file of `commit`'s tree, with sizes (`ls-tree -r -l`)."""
    out = run_git(top, "ls-tree", "-r", "-z", "-l", "--full-tree", commit)
    entries: dict[str, Entry] = {}
    for record in out.split(b"\0"):
        meta, tab, name = record.partition(b"\t")
        parts = meta.split()
        if not tab or len(parts) != 4 or parts[1] != b"blob":
            continue
        mode, sha, size = parts[0].decode(), parts[2].decode(), parts[3].decode()
        path = _path(name)
        if mode in REGULAR_MODES and path is not None:
            entries[path] = Entry(sha, int(size) if size.isdigit() else None)
    return entries


def list_index(top: Path) -> dict[str, Entry]:
    """Every regular file staged in the index (stage 0; conflicted entries are left out)."""
    out = run_git(top, "ls-files", "-s", "-z")
    entries: dict[str, Entry] = {}
    for record in out.split(b"\0"):
        meta, tab, name = record.partition(b"\t")
        parts = meta.split()
        if not tab or len(parts) != 3 or parts[2] != b"0":
            continue
        path = _path(name)
        if parts[0].decode() in REGULAR_MODES and path is not None:
            entries[path] = Entry(parts[1].decode())
    return entries


def _path(raw: bytes) -> str | None:
    path = raw.decode("utf-8", "replace")
    return path if safe_path(path) == path and "\n" not in path else None


class CatFile:
    """Blobs from one long-lived `git cat-file --batch` (and `--batch-check` for sizes):
    a process per snapshot, not per file. Thread-safe; `close` ends both processes."""

    def __init__(self, top: Path) -> None:
        self._top = top
        self._lock = threading.Lock()
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._finalizer = weakref.finalize(self, _stop, self._procs)

    def size(self, sha: str) -> int | None:
        """The object's size when it is a blob, else None."""
        with self._lock:
            header = self._ask("--batch-check", sha)
        return header[1] if header is not None and header[0] == "blob" else None

    def blob(self, sha: str) -> bytes | None:
        """The blob's bytes, or None when it is missing or not a blob."""
        with self._lock:
            header = self._ask("--batch", sha)
            if header is None:
                return None
            kind, size = header
            out = self._procs["--batch"].stdout
            assert out is not None
            data = _read_exactly(out, size + 1)[:size]  # the object, then a newline
        return data if kind == "blob" and len(data) == size else None

    def close(self) -> None:
        self._finalizer()

    def _ask(self, mode: str, sha: str) -> tuple[str, int] | None:
        if not sha or any(c not in "0123456789abcdef" for c in sha):
            return None
        proc = self._procs.get(mode) or self._start(mode)
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(sha.encode() + b"\n")
            proc.stdin.flush()
            line = proc.stdout.readline()
        except OSError:
            line = b""
        parts = line.split()
        if len(parts) != 3 or not parts[2].isdigit():
            if not line:  # the process died: reap it, start afresh on the next read
                _stop({mode: self._procs.pop(mode)})
            return None
        return parts[1].decode(), int(parts[2])

    def _start(self, mode: str) -> subprocess.Popen[bytes]:
        try:
            proc = subprocess.Popen(  # noqa: S603
                ["git", "cat-file", mode],  # noqa: S607
                cwd=self._top,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        except OSError as exc:
            raise SnapshotError(f"cannot run git: {exc.strerror or exc}") from None
        self._procs[mode] = proc
        return proc


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    chunks, left = [], size
    while left > 0:
        chunk = stream.read(left)
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _stop(procs: dict[str, subprocess.Popen[bytes]]) -> None:
    for proc in procs.values():
        try:
            if proc.stdin is not None:
                proc.stdin.close()
            proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
        finally:
            if proc.stdout is not None:
                proc.stdout.close()
    procs.clear()


class Budget:
    """The MAX_TOTAL_BYTES rule for snapshots read lazily: each path counts once, and a file
    that would pass the total reads as None."""

    def __init__(self, total: int = MAX_TOTAL_BYTES) -> None:
        self._left = total
        self._counted: set[str] = set()
        self._lock = threading.Lock()

    def allow(self, path: str, size: int) -> bool:
        with self._lock:
            if path in self._counted:
                return True
            if size > self._left:
                return False
            self._left -= size
            self._counted.add(path)
            return True


class GitSnapshot:
    """Files from git objects: a commit's tree, or the index (`--staged`); the base from the
    objects of a base commit. Paths and sizes are listed once; blobs are read on demand."""

    def __init__(
        self,
        top: Path,
        entries: dict[str, Entry],
        *,
        base: str | None,
        source: SnapshotSource = "git",
        max_file: int = MAX_FILE_BYTES,
        budget: Budget | None = None,
    ) -> None:
        self._top, self._entries, self._base = top, entries, base
        self._source: SnapshotSource = source
        self._paths = sorted(entries)
        self._objects = CatFile(top)
        self._base_entries: dict[str, Entry] | None = None
        self._max_file = max_file
        self._budget = budget or Budget()

    @property
    def source(self) -> SnapshotSource:
        return self._source

    def paths(self) -> Sequence[str]:
        return self._paths

    def read(self, path: str) -> str | None:
        norm = safe_path(path)
        entry = self._entries.get(norm) if norm is not None else None
        return self._read_entry(f"head:{norm}", entry)

    def read_base(self, path: str) -> str | None:
        norm = safe_path(path)
        if norm is None or self._base is None:
            return None
        if self._base_entries is None:
            try:
                self._base_entries = list_tree(self._top, self._base)
            except SnapshotError:
                self._base_entries = {}
        return self._read_entry(f"base:{norm}", self._base_entries.get(norm))

    def close(self) -> None:
        self._objects.close()

    def _read_entry(self, key: str, entry: Entry | None) -> str | None:
        if entry is None:
            return None
        size = entry.size if entry.size is not None else self._objects.size(entry.sha)
        if size is None or size > self._max_file or not self._budget.allow(key, size):
            return None
        data = self._objects.blob(entry.sha)
        return decode_text(data) if data is not None else None


def commit_snapshot(top: Path, commit: str, *, base: str | None) -> GitSnapshot:
    """The repository at `commit` from its git objects; `base` for read_base."""
    return GitSnapshot(top, list_tree(top, commit), base=base)


def index_snapshot(top: Path, *, base: str | None) -> GitSnapshot:
    """The staged files (the index is what `--staged` reviews, not the disk)."""
    return GitSnapshot(top, list_index(top), base=base)
