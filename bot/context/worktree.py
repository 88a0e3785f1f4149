"""The working tree as a snapshot (`review-pr --working-tree`): the tracked files as they are
on disk, read without following a symbolic link anywhere on the way."""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path

from bot.context.git import Budget, GitSnapshot, list_index
from bot.context.snapshot import (
    MAX_FILE_BYTES,
    MAX_TOTAL_BYTES,
    SnapshotSource,
    decode_text,
    safe_path,
)

# The files listed are the index's regular files (what `git diff HEAD` compares): untracked
# files are not part of the change and may be anything (a local .env), so they are left out.
# A path is read only when no component of it is a symbolic link (its real path is itself
# under the real top) and it opens, without following a final link and without blocking on a
# FIFO, as a regular file of at most max_file bytes.

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


def read_regular_file(top: Path, path: str, *, max_file: int = MAX_FILE_BYTES) -> bytes | None:
    """The bytes of regular file `path` under `top`, or None (absent, a link anywhere on the
    way, not a regular file, larger than max_file, unreadable)."""
    norm = safe_path(path)
    if norm is None:
        return None
    real_top = os.path.realpath(top)
    full = os.path.join(real_top, norm)
    if os.path.realpath(full) != full:
        return None
    try:
        fd = os.open(full, _OPEN_FLAGS)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > max_file:
            return None
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(max_file + 1)
        return data if len(data) <= max_file else None
    except OSError:
        return None
    finally:
        os.close(fd)


class WorktreeSnapshot:
    """Tracked files as they are on disk; the base from the objects of a base commit."""

    def __init__(
        self,
        top: Path,
        *,
        base: str | None,
        max_file: int = MAX_FILE_BYTES,
        max_total: int = MAX_TOTAL_BYTES,
    ) -> None:
        self._top = top
        self._paths = sorted(p for p in list_index(top) if os.path.lexists(top / p))
        self._known = set(self._paths)
        self._max_file = max_file
        self._budget = Budget(max_total)
        # The base comes from git objects, under the same total.
        self._git = GitSnapshot(top, {}, base=base, max_file=max_file, budget=self._budget)

    @property
    def source(self) -> SnapshotSource:
        return "worktree"

    def paths(self) -> Sequence[str]:
        return self._paths

    def read(self, path: str) -> str | None:
        norm = safe_path(path)
        if norm is None or norm not in self._known:
            return None
        data = read_regular_file(self._top, norm, max_file=self._max_file)
        if data is None or not self._budget.allow(f"head:{norm}", len(data)):
            return None
        return decode_text(data)

    def read_base(self, path: str) -> str | None:
        return self._git.read_base(path)

    def close(self) -> None:
        self._git.close()
