"""Which files of a large repository to fetch for a review (pure): the changed files, then
the files closest to them in the directory tree, within a file count and a byte total."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.context.snapshot import MAX_FILE_BYTES
from bot.diff.filters import path_filter_reason

# Order: the changed files themselves (their head text: enclosing scopes, small files whole),
# then by directory distance to the nearest changed file (the same directory first, then
# parent and sibling directories: where a change's imports and callers most often live),
# files with a changed file's extension before others at the same distance, then by path.
# Never chosen: files over the per-file cap, binaries by extension, lockfiles, vendored and
# generated paths (the reviewer sets those aside in the diff too).

_BINARY = (
    ".png .jpg .jpeg .gif .bmp .ico .icns .webp .svgz .tif .tiff .psd .pdf .zip .gz .tgz .bz2"
    " .xz .7z .rar .jar .war .whl .egg .so .dll .dylib .exe .bin .o .a .lib .class .pyc .pyo"
    " .wasm .woff .woff2 .ttf .otf .eot .mp3 .mp4 .m4a .wav .ogg .flac .avi .mov .mkv .webm"
    " .sqlite .db .npy .npz .pkl .pickle .parquet .onnx .pt .pth .h5 .mo"
)
BINARY_SUFFIXES = frozenset(_BINARY.split())


def files_near_change(
    sizes: Mapping[str, int],
    changed: Sequence[str],
    *,
    max_files: int,
    max_bytes: int,
) -> list[str]:
    """Up to `max_files` paths of `sizes` (path -> bytes) totalling at most `max_bytes`,
    nearest the `changed` paths first."""
    dirs = {_dir(p) for p in changed}
    suffixes = {_suffix(p) for p in changed}
    changed_set = set(changed)

    distances: dict[tuple[str, ...], int] = {}  # per directory: a repository has few

    def rank(path: str) -> tuple[int, int, str]:
        if path in changed_set:
            return (-1, 0, path)
        where = _dir(path)
        if where not in distances:
            distances[where] = min((_distance(where, d) for d in dirs), default=0)
        return (distances[where], 0 if _suffix(path) in suffixes else 1, path)

    chosen: list[str] = []
    total = 0
    for path in sorted((p for p in sizes if _wanted(p, sizes[p])), key=rank):
        if len(chosen) >= max_files:
            break
        if total + sizes[path] > max_bytes:
            continue
        chosen.append(path)
        total += sizes[path]
    return chosen


def _wanted(path: str, size: int) -> bool:
    if size > MAX_FILE_BYTES or _suffix(path) in BINARY_SUFFIXES:
        return False
    return path_filter_reason(path) is None


def _dir(path: str) -> tuple[str, ...]:
    return tuple(path.split("/")[:-1])


def _suffix(path: str) -> str:
    name = path.rpartition("/")[2]
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def _distance(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    """Steps up and down the directory tree from `a` to `b`."""
    common = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        common += 1
    return len(a) + len(b) - 2 * common
