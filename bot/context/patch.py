"""A diff held against a snapshot (pure): does the snapshot hold the diff's new side, and the
base version of a changed file rebuilt from its head version and the diff."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.context.snapshot import Snapshot, SnapshotSource, close_snapshot, safe_path, split_lines
from bot.models import FileDiff

# Why rebuild the base: on GitHub the snapshot is the head only, and fetching each changed
# file again at the base costs a request per file. The pull request's patch is the
# difference merge-base..head, so undoing its hunks on the head text gives the base text of
# every changed file, and a file the patch does not touch is the same at both ends.


def diff_mismatch(snapshot: Snapshot, files: Iterable[FileDiff]) -> str | None:
    """The first changed path whose new side the snapshot does not hold, or None when all
    match (a deleted file must be absent, every other file must have the diff's context and
    added lines at their new line numbers)."""
    for f in files:
        if f.binary or f.submodule or f.patch_missing:
            continue
        text = snapshot.read(f.path)
        if f.status == "deleted":
            if text is not None:
                return f.path
        elif text is None or not new_side_matches(split_lines(text), f):
            return f.path
    return None


def new_side_matches(lines: Sequence[str], f: FileDiff) -> bool:
    """True when `lines` have every context and added line of `f` at its new line number."""
    for hunk in f.hunks:
        for ln in hunk.lines:
            if ln.new_no is None:
                continue
            if ln.new_no > len(lines) or lines[ln.new_no - 1] != ln.text:
                return False
    return True


def rebuild_base(text: str, f: FileDiff) -> str | None:
    """The file before the diff: `text` (its new side) with every hunk undone; None when the
    text does not match the diff. Line terminators become "\\n"."""
    lines = split_lines(text)
    if not new_side_matches(lines, f):
        return None
    out: list[str] = []
    at = 0  # lines of `lines` already copied
    for hunk in f.hunks:
        start = hunk.new_start - 1 if hunk.new_len else hunk.new_start
        out.extend(lines[at:start])
        out.extend(ln.text for ln in hunk.lines if ln.kind != "added")
        at = start + hunk.new_len
    out.extend(lines[at:])
    return "\n".join(out) + "\n" if out else ""


def removed_file_text(f: FileDiff) -> str:
    """A deleted file's content: every line of its one hunk."""
    lines = [ln.text for hunk in f.hunks for ln in hunk.lines if ln.kind != "added"]
    return "\n".join(lines) + "\n" if lines else ""


class PatchedBase:
    """A snapshot whose base is rebuilt from the head and the diff: a changed file's base is
    its head text with the hunks undone (None when they do not match), a deleted file's base
    is its removed lines, an added file has none, and any other file is the same as at the
    head."""

    def __init__(self, head: Snapshot, files: Sequence[FileDiff]) -> None:
        self._head = head
        self._by_old: dict[str, FileDiff] = {}
        self._added: set[str] = set()
        for f in files:
            if f.status in ("added", "renamed", "copied"):
                self._added.add(f.path)  # the new path did not exist at the base
            if f.status not in ("added", "copied"):
                self._by_old[f.old_path or f.path] = f
        for f in files:  # a copy's source, when the diff does not change it itself
            if f.status == "copied" and f.old_path:
                self._by_old.setdefault(f.old_path, f)

    @property
    def source(self) -> SnapshotSource:
        return self._head.source

    def paths(self) -> Sequence[str]:
        return self._head.paths()

    def read(self, path: str) -> str | None:
        return self._head.read(path)

    def read_base(self, path: str) -> str | None:
        norm = safe_path(path)
        if norm is None:
            return None
        f = self._by_old.get(norm)
        if f is None:
            return None if norm in self._added else self._head.read(norm)
        if f.binary or f.submodule or f.patch_missing:
            return None
        if f.status == "deleted":
            return removed_file_text(f)
        text = self._head.read(f.path)
        return rebuild_base(text, f) if text is not None else None

    def close(self) -> None:
        close_snapshot(self._head)
