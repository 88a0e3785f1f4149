"""A repository archive (GitHub's tarball of one commit) read safely: regular files only,
inside the archive's root, within per-file, total and stream caps; nothing is written out."""

from __future__ import annotations

import gzip
import io
import tarfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Protocol

from bot.context.snapshot import MAX_FILE_BYTES, MAX_TOTAL_BYTES, safe_path
from bot.errors import SnapshotError

# Rules, each because an archive from a pull request's head is untrusted input:
# - Only regular files are read. Symbolic and hard links, devices, FIFOs and sparse files are
#   refused, so no link is ever followed, in or out of the root.
# - Every name must sit under the archive's one top directory (GitHub's `owner-repo-sha/`),
#   which is stripped; what is left must already be a normalised relative path: absolute
#   names, `..`, `.`, empty components and backslashes are refused.
# - A file over `max_file` is listed but its bytes are skipped; once the kept bytes would pass
#   `max_total`, reading stops (later files are neither listed nor kept).
# - The decompressed stream, headers and skipped data included, is capped at `max_stream`, so
#   a small archive that inflates to gigabytes stops early (and a huge pax header with it).
# Nothing is extracted to disk: the caller receives (path, bytes) pairs.

GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class ArchiveLimits:
    max_file: int = MAX_FILE_BYTES
    max_total: int = MAX_TOTAL_BYTES
    max_stream: int | None = None  # default: twice max_total plus 16 MB of headers

    @property
    def stream_cap(self) -> int:
        return self.max_stream if self.max_stream is not None else 2 * self.max_total + (16 << 20)


@dataclass
class ArchiveReport:
    """What reading an archive found: paths kept or listed, members refused, why it stopped."""

    kept: int = 0  # files whose bytes were handed on
    kept_bytes: int = 0
    listed: list[str] = field(default_factory=list)  # regular files whose bytes were not kept
    refused: list[tuple[str, str]] = field(default_factory=list)  # (member name, reason)
    cut: str | None = None  # why reading stopped before the end, for the context note


class ByteStream(Protocol):
    """What an archive is read from: a download, a file, a decompressor."""

    def read(self, size: int = -1, /) -> bytes: ...


class _Capped(io.RawIOBase):
    """A read-only stream that fails once more than `cap` bytes have been read through it."""

    def __init__(self, raw: ByteStream, cap: int, what: str) -> None:
        self._raw, self._cap, self._what, self.count = raw, cap, what, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        self.count += len(data)
        if self.count > self._cap:
            raise _StreamCap(self._what)
        buffer[: len(data)] = data
        return len(data)


class _StreamCap(Exception):
    """The stream passed its cap."""


def read_archive(
    stream: ByteStream,
    on_file: Callable[[str, bytes], None],
    *,
    limits: ArchiveLimits | None = None,
) -> ArchiveReport:
    """Hand each regular file of a tar or tar.gz stream to `on_file(path, data)`, safely.

    A damaged or truncated archive raises SnapshotError; a cap reached ends reading early
    with `report.cut` saying which.
    """
    limits = limits or ArchiveLimits()
    report = ArchiveReport()
    try:
        tar = tarfile.open(fileobj=_decompressed(stream, limits), mode="r|")  # noqa: SIM115
        with tar:
            _read_members(tar, on_file, limits, report)
    except _StreamCap as exc:
        report.cut = f"the archive inflates past {limits.stream_cap >> 20} MB ({exc})"
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise SnapshotError(f"the repository archive is damaged ({_describe(exc)})") from None
    return report


def _decompressed(stream: ByteStream, limits: ArchiveLimits) -> IO[bytes]:
    """The tar stream: gunzipped when it starts with gzip's magic bytes, capped either way."""
    raw = io.BufferedReader(_Capped(stream, limits.stream_cap, "download"), 1 << 16)
    if raw.peek(2)[:2] == GZIP_MAGIC:
        inflated = gzip.GzipFile(fileobj=raw, mode="rb")
        return io.BufferedReader(_Capped(inflated, limits.stream_cap, "inflated"), 1 << 16)
    return raw


def _read_members(
    tar: tarfile.TarFile,
    on_file: Callable[[str, bytes], None],
    limits: ArchiveLimits,
    report: ArchiveReport,
) -> None:
    root: str | None = None
    seen: set[str] = set()
    for member in tar:
        name = member.name
        if root is None:
            root = name.split("/", 1)[0]
            if not root or root in (".", "..") or name.startswith("/"):
                raise SnapshotError("the repository archive has no top directory")
        if member.isdir():
            continue  # a directory carries no content; its files are checked one by one
        path, why = member_path(member, root=root)
        if path is None:
            report.refused.append((name, why))
            continue
        if path in seen:
            report.refused.append((name, "duplicate"))
            continue
        seen.add(path)
        if member.size > limits.max_file:
            report.listed.append(path)
            continue
        if report.kept_bytes + member.size > limits.max_total:
            report.cut = f"the repository passes {limits.max_total >> 20} MB"
            return
        data = _member_bytes(tar, member)
        report.kept += 1
        report.kept_bytes += len(data)
        on_file(path, data)


def member_path(member: tarfile.TarInfo, *, root: str) -> tuple[str | None, str]:
    """(repository path, "") for a member that may be read, else (None, why not)."""
    name = member.name
    if member.isdir():
        return None, "directory"
    if member.issym() or member.islnk():
        return None, "link"
    if not member.isreg() or member.issparse():
        return None, "not a regular file"
    if name.startswith("/") or not name.startswith(root + "/"):
        return None, "outside the archive root"
    rest = name[len(root) + 1 :]
    if safe_path(rest) != rest:
        return None, "unsafe path"
    return rest, ""


def _member_bytes(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    handle = tar.extractfile(member)
    data = handle.read(member.size) if handle is not None else b""
    if len(data) != member.size:
        raise SnapshotError("the repository archive is truncated")
    return data


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
