"""The repository at the PR head, read-only: one interface over git objects, a working tree
or an archive from GitHub, and the rules that keep every read inside it."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal, Protocol

# Nothing from the PR is ever executed; a snapshot only hands out text. Every path it
# accepts is a normalised repository path: relative, no `..`, no NUL, no backslash tricks.
# Files over MAX_FILE_BYTES, binary files and anything that is not a regular file (a
# symlink leaving the repository, a device) read as None.

SnapshotSource = Literal["git", "worktree", "github", "none"]
MAX_FILE_BYTES = 1_000_000  # per file; larger files are never read whole
MAX_TOTAL_BYTES = 200_000_000  # per snapshot; what is past it reads as None


class Snapshot(Protocol):
    """A read-only view of the repository at the reviewed head."""

    @property
    def source(self) -> SnapshotSource: ...

    def paths(self) -> Sequence[str]:
        """Every regular file at the head: repository paths, sorted."""
        ...

    def read(self, path: str) -> str | None:
        """A file's text at the head; None when absent, binary, too large or not allowed."""
        ...

    def read_base(self, path: str) -> str | None:
        """A file's text at the base of the review, when the source knows it, else None."""
        ...


def split_lines(text: str) -> tuple[str, ...]:
    """Lines as git, the diff parser and tree-sitter count them (a \\f or U+2028 inside a
    line does not end it): split at \\n only, \\r dropped."""
    lines = text.split("\n")
    if lines and not lines[-1]:
        lines.pop()
    if "\r" in text:
        return tuple(line.removesuffix("\r") for line in lines)
    return tuple(lines)


def safe_path(path: str) -> str | None:
    """`path` as a normalised repository path, or None when it could leave the repository."""
    if not path or "\x00" in path or "\\" in path or path.startswith("/"):
        return None
    norm = posixpath.normpath(path)
    if norm in (".", "..") or norm.startswith("../") or norm.startswith("/"):
        return None
    return norm


def decode_text(data: bytes) -> str | None:
    """UTF-8 text (bad bytes replaced), or None for binary data (a NUL in the first 8 KB)."""
    if b"\x00" in data[:8192]:
        return None
    return data.decode("utf-8", errors="replace")


class MemorySnapshot:
    """A snapshot held in memory: what tests build, and what a GitHub archive becomes."""

    def __init__(
        self,
        files: Mapping[str, bytes],
        *,
        source: SnapshotSource = "github",
        base: Mapping[str, bytes] | None = None,
        listed: Iterable[str] = (),
    ) -> None:
        """`listed`: more files that exist at the head but whose content was not kept (too
        large, past the total cap, not fetched); they are listed and read as None."""
        self._files = {p: d for p, d in files.items() if safe_path(p) == p}
        self._base = dict(base or {})
        self._source: SnapshotSource = source
        self._paths = sorted(self._files.keys() | {p for p in listed if safe_path(p) == p})

    @property
    def source(self) -> SnapshotSource:
        return self._source

    def paths(self) -> Sequence[str]:
        return self._paths

    def read(self, path: str) -> str | None:
        return _read(self._files, path)

    def read_base(self, path: str) -> str | None:
        return _read(self._base, path)


def failure_note(exc: BaseException) -> str:
    """The one-line context note for a snapshot that could not be made."""
    message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
    text = " ".join(f"none: {message}".split())
    return text if len(text) <= 300 else text[:299] + "…"


def close_snapshot(snapshot: Snapshot | None) -> None:
    """Release what a snapshot holds (a git process, an open file); any snapshot, or None."""
    close = getattr(snapshot, "close", None)
    if callable(close):
        close()


def _read(files: Mapping[str, bytes], path: str) -> str | None:
    norm = safe_path(path)
    data = files.get(norm) if norm is not None else None
    if data is None or len(data) > MAX_FILE_BYTES:
        return None
    return decode_text(data)
