"""A parsed diff: lines, hunks, files, where GitHub accepts comments, the pull request."""

from __future__ import annotations

from dataclasses import dataclass

from bot.models.core import FileStatus, Frozen, LineKind


@dataclass(frozen=True, slots=True)
class DiffLine:
    """One line of a hunk. A slotted dataclass, not a model: a large diff has hundreds of
    thousands, and validating each would take most of the parse time. Models holding
    DiffLines still validate them (pydantic checks the instances and builds them from dicts).
    """

    kind: LineKind
    old_no: int | None  # None for added lines
    new_no: int | None  # None for removed lines
    text: str  # without the +/-/space prefix and without the line terminator


class Hunk(Frozen):
    old_start: int
    old_len: int
    new_start: int
    new_len: int
    section: str = ""  # text after the second @@ (function context)
    lines: tuple[DiffLine, ...] = ()

    @property
    def added(self) -> int:
        return sum(1 for ln in self.lines if ln.kind == "added")

    @property
    def removed(self) -> int:
        return sum(1 for ln in self.lines if ln.kind == "removed")


class FileDiff(Frozen):
    path: str  # new path; the old path for a deleted file
    old_path: str | None = None  # set for renames and copies
    status: FileStatus = "modified"
    binary: bool = False
    hunks: tuple[Hunk, ...] = ()
    old_mode: str | None = None
    new_mode: str | None = None
    submodule: bool = False
    patch_missing: bool = False  # GitHub omitted the patch (too large)
    # Set by bot.secrets when a name holds a secret: what the model is shown instead.
    shown_path: str | None = None
    shown_old_path: str | None = None

    @property
    def added(self) -> int:
        return sum(h.added for h in self.hunks)

    @property
    def removed(self) -> int:
        return sum(h.removed for h in self.hunks)

    @property
    def changed_lines(self) -> int:
        return self.added + self.removed


class LineMap(Frozen):
    """Where GitHub accepts review comments in one file: line number -> hunk index."""

    path: str
    right: dict[int, int]  # new-file line (added or context) -> hunk index
    left: dict[int, int]  # old-file line (removed or context) -> hunk index
    added: frozenset[int] = frozenset()  # new-file lines that were added


class PullRequest(Frozen):
    title: str = ""
    body: str = ""
    repo: str | None = None  # "owner/name"
    number: int | None = None
    base_sha: str | None = None
    head_sha: str | None = None
    base_ref: str | None = None
    head_ref: str | None = None
    author: str | None = None
    author_is_bot: bool = False
    draft: bool = False
    labels: tuple[str, ...] = ()
    files: tuple[FileDiff, ...] = ()
    github_file_limit_hit: bool = False  # GitHub listed only its first 3,000 files
