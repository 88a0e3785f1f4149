"""Parse unified diffs (git's and GitHub's) into FileDiffs; build commentable-line maps."""

from __future__ import annotations

from collections.abc import Iterable

from unidiff import PatchedFile, PatchSet
from unidiff.errors import UnidiffParseError

from bot.errors import DiffError
from bot.models import DiffLine, FileDiff, FileStatus, Hunk, LineKind, LineMap

_KINDS: dict[str, LineKind] = {"+": "added", "-": "removed", " ": "context"}
_NO_PREFIX = ("/dev/null",)


def decode_diff(data: bytes) -> str:
    """Bytes to text: UTF-8 where valid, a replacement character where not, never a crash."""
    return data.decode("utf-8", errors="replace")


def parse_diff(text: str) -> tuple[FileDiff, ...]:
    """Parse a whole unified diff. Empty input gives no files; anything else must parse."""
    if not text.strip():
        return ()
    try:
        patch = PatchSet(text.splitlines(keepends=True))
    except UnidiffParseError as exc:
        raise DiffError(f"not a unified diff: {exc}") from None
    if not len(patch):
        raise DiffError("not a unified diff: no file headers (---/+++ or 'diff --git') found")
    return tuple(_file(pf) for pf in patch)


def parse_file_patch(
    path: str, patch: str, *, status: FileStatus = "modified", old_path: str | None = None
) -> FileDiff:
    """Parse the hunks-only `patch` text GitHub's files API returns for one file."""
    src = "/dev/null" if status == "added" else f"a/{old_path or path}"
    dst = "/dev/null" if status == "deleted" else f"b/{path}"
    text = f"--- {src}\n+++ {dst}\n{patch}"
    if not text.endswith("\n"):
        text += "\n"
    try:
        (parsed,) = PatchSet(text.splitlines(keepends=True))
    except (UnidiffParseError, ValueError) as exc:
        raise DiffError(f"{path}: not a unified diff patch: {exc}") from None
    hunks = tuple(_hunk(h) for h in parsed)
    return FileDiff(path=path, old_path=old_path, status=status, hunks=hunks)


def _strip_prefix(name: str | None) -> str | None:
    if name is None or name in _NO_PREFIX:
        return None
    name = name.strip()
    if name.startswith('"') and name.endswith('"'):
        name = name[1:-1]
    if name[:2] in ("a/", "b/"):
        return name[2:]
    return name


def _file(pf: PatchedFile) -> FileDiff:
    info = "".join(pf.patch_info or ())
    src = _strip_prefix(pf.source_file)
    dst = _strip_prefix(pf.target_file)
    status: FileStatus
    if pf.is_added_file:
        status = "added"
    elif pf.is_removed_file:
        status = "deleted"
    elif "\ncopy from " in f"\n{info}":
        status = "copied"
    elif pf.is_rename or (src is not None and dst is not None and src != dst):
        status = "renamed"
    else:
        status = "modified"
    path = dst if dst is not None else src
    old_path = src if status in ("renamed", "copied") else None
    if status == "copied":
        path, old_path = _copy_paths(info, path, old_path)
    hunks = tuple(_hunk(h) for h in pf)
    submodule = any(ln.text.startswith("Subproject commit ") for h in hunks for ln in h.lines)
    return FileDiff(
        path=path or "",
        old_path=old_path,
        status=status,
        binary=bool(pf.is_binary_file) or "GIT binary patch" in info,
        hunks=hunks,
        old_mode=pf.source_mode,
        new_mode=pf.target_mode,
        submodule=submodule,
    )


def _copy_paths(info: str, path: str | None, old: str | None) -> tuple[str | None, str | None]:
    for line in info.splitlines():
        if line.startswith("copy from "):
            old = line[len("copy from ") :]
        elif line.startswith("copy to "):
            path = line[len("copy to ") :]
    return path, old


def _hunk(h: Iterable[object]) -> Hunk:
    lines = []
    for raw in h:
        kind = _KINDS.get(raw.line_type)  # type: ignore[attr-defined]
        if kind is None:  # "\ No newline at end of file"
            continue
        text = raw.value.rstrip("\n")  # type: ignore[attr-defined]
        if text.endswith("\r"):
            text = text[:-1]
        lines.append(
            DiffLine(
                kind=kind,
                old_no=raw.source_line_no,  # type: ignore[attr-defined]
                new_no=raw.target_line_no,  # type: ignore[attr-defined]
                text=text,
            )
        )
    return Hunk(
        old_start=h.source_start,  # type: ignore[attr-defined]
        old_len=h.source_length,  # type: ignore[attr-defined]
        new_start=h.target_start,  # type: ignore[attr-defined]
        new_len=h.target_length,  # type: ignore[attr-defined]
        section=(h.section_header or "").strip(),  # type: ignore[attr-defined]
        lines=tuple(lines),
    )


def build_line_map(file: FileDiff) -> LineMap:
    """Lines GitHub accepts review comments on, with the hunk each belongs to."""
    right: dict[int, int] = {}
    left: dict[int, int] = {}
    added: set[int] = set()
    for index, hunk in enumerate(file.hunks):
        for ln in hunk.lines:
            if ln.new_no is not None:
                right[ln.new_no] = index
                if ln.kind == "added":
                    added.add(ln.new_no)
            if ln.old_no is not None:
                left[ln.old_no] = index
    return LineMap(path=file.path, right=right, left=left, added=frozenset(added))
