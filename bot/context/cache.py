"""Snapshots kept on disk by repository and head commit (the App's cache), with a size cap:
one zip file per snapshot, read lazily, the least recently used pruned first."""

from __future__ import annotations

import json
import os
import re
import threading
import time
import uuid
import zipfile
from collections.abc import Sequence
from pathlib import Path

from bot.context.snapshot import MAX_FILE_BYTES, SnapshotSource, decode_text, safe_path

# A commit's files never change, so a snapshot cached under (repository, head SHA) is valid
# forever; the repository is part of the key so that installations never share files. Files
# go in only after the archive rules (bot.context.archive) accepted them, and reads apply the
# snapshot rules again. A zip is written under a temporary name and renamed into place, so a
# reader never sees half a file; pruning may remove a zip another worker has open, which on
# POSIX keeps working until it is closed.

_REPO = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
LISTED = b"listed"


class ZipSnapshot:
    """A cached snapshot: paths from the zip's directory, files read on demand."""

    def __init__(self, path: Path, *, source: SnapshotSource = "github") -> None:
        self._zip = zipfile.ZipFile(path)
        self._source: SnapshotSource = source
        self._lock = threading.Lock()
        infos = [
            i
            for i in self._zip.infolist()
            if not i.is_dir() and safe_path(i.filename) == i.filename
        ]
        # An entry marked LISTED exists at the head but its bytes were not kept.
        self._infos = {i.filename: i for i in infos if i.comment != LISTED}
        self._paths = sorted(i.filename for i in infos)
        meta = json.loads(self._zip.comment or b"{}")
        self.note: str | None = meta.get("note") if isinstance(meta, dict) else None

    @property
    def source(self) -> SnapshotSource:
        return self._source

    def paths(self) -> Sequence[str]:
        return self._paths

    def read(self, path: str) -> str | None:
        info = self._infos.get(safe_path(path) or "")
        if info is None or info.file_size > MAX_FILE_BYTES:
            return None
        with self._lock:
            data = self._zip.read(info)
        return decode_text(data)

    def read_base(self, path: str) -> str | None:
        return None

    def close(self) -> None:
        self._zip.close()


class ZipWriter:
    """Writes one snapshot into the cache; `commit` puts it in place, `discard` drops it."""

    def __init__(self, target: Path) -> None:
        self._target = target
        self._tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
        target.parent.mkdir(parents=True, exist_ok=True)
        self._zip = zipfile.ZipFile(self._tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1)

    def add(self, path: str, data: bytes) -> None:
        self._zip.writestr(path, data)

    def commit(self, *, listed: Sequence[str] = (), note: str | None = None) -> Path:
        for path in listed:
            info = zipfile.ZipInfo(path)
            info.comment = LISTED
            self._zip.writestr(info, b"")
        self._zip.comment = json.dumps({"note": (note or "")[:1000] or None}).encode()
        self._zip.close()
        os.replace(self._tmp, self._target)
        return self._target

    def discard(self) -> None:
        self._zip.close()
        self._tmp.unlink(missing_ok=True)


class SnapshotCache:
    """Snapshots under `root`, at most `max_bytes` in all (0: nothing is kept)."""

    def __init__(self, root: Path, *, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self._lock = threading.Lock()

    def path_for(self, repo: str, sha: str) -> Path | None:
        """Where the snapshot of `repo` at `sha` lives; None when either is not a plain name."""
        if self.max_bytes <= 0 or not _REPO.fullmatch(repo) or not _SHA.fullmatch(sha):
            return None
        owner, name = repo.lower().split("/")
        if name in (".", "..") or owner in (".", ".."):
            return None
        return self.root / owner / name / f"{sha}.zip"

    def get(self, repo: str, sha: str) -> ZipSnapshot | None:
        """The cached snapshot, or None; a damaged file is removed."""
        path = self.path_for(repo, sha)
        if path is None or not path.is_file():
            return None
        try:
            snapshot = ZipSnapshot(path)
        except (OSError, zipfile.BadZipFile, ValueError):
            path.unlink(missing_ok=True)
            return None
        os.utime(path)  # recently used: pruned last
        return snapshot

    def writer(self, repo: str, sha: str) -> ZipWriter | None:
        path = self.path_for(repo, sha)
        return ZipWriter(path) if path is not None else None

    def prune(self) -> int:
        """Remove the least recently used snapshots until the cache fits; bytes removed."""
        with self._lock:
            files = []
            for path in self.root.glob("*/*/*.zip"):
                try:
                    info = path.stat()
                except OSError:
                    continue
                files.append((info.st_mtime, info.st_size, path))
            total = sum(size for _, size, _ in files)
            removed = 0
            for _, size, path in sorted(files, key=lambda f: f[0]):
                if total <= self.max_bytes:
                    break
                path.unlink(missing_ok=True)
                total -= size
                removed += size
            self._drop_stale_temporaries()
            return removed

    def _drop_stale_temporaries(self) -> None:
        """Temporary files a killed worker left behind (older than an hour)."""
        cutoff = time.time() - 3600
        for path in self.root.glob("*/*/.*.tmp"):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink(missing_ok=True)
            except OSError:
                continue
