"""Private keys in PEM form: blocks spanning several lines, and one-line keys in strings."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.linear import Found, LinearPattern
from bot.models import DiffLine

PEM_KIND = "private-key"
_LABEL = r"(?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
_BEGIN = "-----BEGIN " + _LABEL
_END = "-----END " + _LABEL
# RE2 (bot.linear): lines here come from the pull request, and no line may take more than
# linear time. Key-material lines are recognised by plain string steps, not by a pattern.
_PEM_BEGIN = LinearPattern(_BEGIN)
_PEM_END = LinearPattern(_END)
PEM_INLINE = LinearPattern(_BEGIN + r"(?P<body>.*?)(?:" + _END + r"|$)")
_B64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_B64_RUN = re.compile(r"[A-Za-z0-9+/=]{8,}")
# Random base64 of a line's length holds all three; hex digests and long names do not.
_RANDOM = re.compile(r"(?=[^A-Z]*[A-Z])(?=[^a-z]*[a-z])(?=[^0-9]*[0-9])")
_HEADERS = ("Proc-Type:", "DEK-Info:", "Version:", "Comment:", "Hash:", "Charset:")
_QUOTES = "\"'`"
_MIN_BODY = 32  # base64 characters that prove a block holds a key, not just its markers
_EDGE_LINE = 40  # a line of key material seen without its markers: at least this long
_EDGE_LINES = 2  # … and at least this many of them in a row
_EDGE_SHORT = 8  # the last line of a body, at the very edge, may be as short as this
_LONG_RUN = re.compile(f"[A-Za-z0-9+/]{{{_EDGE_SHORT}}}")  # what an edge line must at least hold


def placeholder(kind: str) -> str:
    """What a secret of `kind` is replaced with."""
    return f"[REDACTED:{kind}]"


def inline_pem_kind(m: Found) -> str | None:
    """For a PEM_INLINE match: a key when enough key material sits between the markers."""
    body = m.text_of("body").replace("\\n", "")
    size = sum(len(run) for run in _B64_RUN.findall(body))
    return PEM_KIND if size >= _MIN_BODY else None


def pem_lines(lines: Sequence[DiffLine]) -> tuple[set[int], dict[int, list[str]]]:
    """Lines inside private-key blocks, and the first added line of each added key.

    Key material at either edge of the hunk, whose BEGIN or END line lies outside it, is
    redacted too, without a finding: it may as well be a certificate.
    """
    # Key blocks are found in the old and the new version separately, so a replaced key
    # (removed lines interleaved with added ones) is still seen as two whole blocks.
    old_view, new_view = _views(lines)
    in_pem: set[int] = set()
    for view in (old_view, new_view):
        texts = [lines[i].text for i in view]
        positions, _ = pem_positions(texts)
        in_pem |= {view[p] for p in positions | edge_positions(texts)}
    _, new_blocks = pem_positions([lines[i].text for i in new_view])
    kinds: dict[int, list[str]] = {}
    for first, last in new_blocks:
        added = [new_view[p] for p in range(first, last + 1) if lines[new_view[p]].kind == "added"]
        if added:  # one finding per key, on its first added line
            kinds[added[0]] = [PEM_KIND]
    return in_pem, kinds


def edge_lines(lines: Sequence[DiffLine]) -> set[int]:
    """Key material at either edge of a hunk without markers (see pem_lines)."""
    if not any(_LONG_RUN.search(lines[i].text) for i in _view_ends(lines)):
        return set()  # the usual case, decided from at most four lines
    out: set[int] = set()
    for view in _views(lines):
        out |= {view[p] for p in edge_positions([lines[i].text for i in view])}
    return out


def _view_ends(lines: Sequence[DiffLine]) -> set[int]:
    """The first and last line of the old and of the new version within the hunk."""
    ends: set[int] = set()
    for skip in ("added", "removed"):
        for order in (range(len(lines)), range(len(lines) - 1, -1, -1)):
            ends.update(next(([i] for i in order if lines[i].kind != skip), []))
    return ends


def _views(lines: Sequence[DiffLine]) -> tuple[list[int], list[int]]:
    """Indices of the old version's lines and of the new version's."""
    return (
        [i for i, ln in enumerate(lines) if ln.kind != "added"],
        [i for i, ln in enumerate(lines) if ln.kind != "removed"],
    )


def edge_positions(texts: Sequence[str]) -> set[int]:
    """Runs of long key-material lines that start or end the text (markers outside it).

    The line at the very edge may be shorter: the last line of a key's body usually is.
    """
    out: set[int] = set()
    for order in (range(len(texts)), range(len(texts) - 1, -1, -1)):
        run: list[int] = []
        for pos in order:
            core = _key_core(texts[pos]) or ""
            short = len(core) < _EDGE_LINE
            if (short and (run or len(core) < _EDGE_SHORT)) or not _RANDOM.match(core):
                break
            run.append(pos)
        if len(run) > _EDGE_LINES or (len(run) == _EDGE_LINES and _long(texts[run[0]])):
            out.update(run)
    return out


def _long(text: str) -> bool:
    return len(_key_core(text) or "") >= _EDGE_LINE


def pem_positions(texts: Sequence[str]) -> tuple[set[int], list[tuple[int, int]]]:
    """Positions inside multi-line private-key blocks, and each block as (first, last)."""
    blocks: list[tuple[int, int]] = []
    start: int | None = None
    body = 0
    for pos, text in enumerate(texts):
        if start is not None:
            if _PEM_END.search(text):
                if body >= _MIN_BODY:
                    blocks.append((start, pos))
                start = None
                continue
            size = _body_size(text)
            if size is not None:
                body += size
                continue
            if body >= _MIN_BODY:  # key material stopped without an END line in view
                blocks.append((start, pos - 1))
            start = None
        if _opens_block(text):
            start, body = pos, 0
        elif _PEM_END.search(text) and not _PEM_BEGIN.search(text):
            blocks.extend(_orphan_end(texts, pos))
    if start is not None and body >= _MIN_BODY:
        blocks.append((start, len(texts) - 1))
    return {p for first, last in blocks for p in range(first, last + 1)}, blocks


def _orphan_end(texts: Sequence[str], pos: int) -> list[tuple[int, int]]:
    """An END line whose BEGIN lies above the visible lines: take the key lines before it."""
    first, body = pos, 0
    while first > 0 and (size := _body_size(texts[first - 1])) is not None:
        first, body = first - 1, body + size
    return [(first, pos)] if body >= _MIN_BODY else []


def _opens_block(text: str) -> bool:
    """A BEGIN line with nothing after the marker but a string's closing bits."""
    m = _PEM_BEGIN.search(text)
    if m is None:
        return False
    rest = text[m.end :].strip()
    rest = rest.removeprefix("\\n").strip().lstrip(_QUOTES).strip()
    return len(rest) <= 1 and (rest == "" or rest in "+,;\\")


def _body_size(text: str) -> int | None:
    """Base64 characters on a key-material line; None when the line is something else."""
    if text.strip().lstrip(_QUOTES).startswith(_HEADERS):
        return 0
    core = _key_core(text)
    return None if core is None else len(core)


def _key_core(text: str) -> str | None:
    """The base64 on a key-material line (padding dropped), or None for other lines.

    Such a line may sit in a string: quoted, ending in a `\\n` escape, a concatenation or a
    separator (`"MIIE…\\n" +`).
    """
    core = text.strip()
    if core[-1:] and core[-1] in "+,;\\" and not core.endswith("\\n"):
        core = core[:-1].rstrip()
    if core[-1:] and core[-1] in _QUOTES:
        core = core[:-1]
    core = core.removesuffix("\\n")
    if core[:1] and core[0] in _QUOTES:
        core = core[1:].lstrip()
    return core.rstrip("=") if _B64.fullmatch(core) else None


def redact_pem_line(text: str) -> str:
    begin = _PEM_BEGIN.search(text)
    if begin:
        return text[: begin.start] + placeholder(PEM_KIND)
    indent = text[: len(text) - len(text.lstrip())]
    end = _PEM_END.search(text)
    return indent + placeholder(PEM_KIND) + (text[end.end :] if end else "")
