"""Private keys in PEM form: blocks spanning several lines, and one-line keys in strings."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.models import DiffLine

PEM_KIND = "private-key"
_BEGIN = r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
_END = r"-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
_PEM_BEGIN = re.compile(_BEGIN)
_PEM_END = re.compile(_END)
PEM_INLINE = re.compile(_BEGIN + r"(?P<body>.*?)(?:" + _END + r"|$)")
# A line of key material: base64, maybe quoted, maybe with a "\n" escape or a concatenation.
_PEM_BODY = re.compile(r"""\s*["'`]?\s*(?P<b64>[A-Za-z0-9+/]*={0,2})(?:\\n)?["'`]?\s*[+,;\\]?\s*""")
_PEM_HEADER = re.compile(r"""\s*["'`]?(?:Proc-Type|DEK-Info|Version|Comment|Hash|Charset):""")
_PEM_TAIL = re.compile(r"""\s*(?:\\n)?\s*["'`]*\s*[+,;\\]?\s*""")
_MIN_BODY = 32  # base64 characters that prove a block holds a key, not just its markers


def placeholder(kind: str) -> str:
    """What a secret of `kind` is replaced with."""
    return f"[REDACTED:{kind}]"


def inline_pem_kind(m: re.Match[str]) -> str | None:
    """For a PEM_INLINE match: a key when enough key material sits between the markers."""
    body = m.group("body").replace("\\n", "")
    size = sum(len(run) for run in re.findall(r"[A-Za-z0-9+/=]{8,}", body))
    return PEM_KIND if size >= _MIN_BODY else None


def pem_lines(lines: Sequence[DiffLine]) -> tuple[set[int], dict[int, list[str]]]:
    """Lines inside private-key blocks, and the first added line of each added key."""
    # Key blocks are found in the old and the new version separately, so a replaced key
    # (removed lines interleaved with added ones) is still seen as two whole blocks.
    new_view = [i for i, ln in enumerate(lines) if ln.kind != "removed"]
    old_view = [i for i, ln in enumerate(lines) if ln.kind != "added"]
    old_positions, _ = pem_positions([lines[i].text for i in old_view])
    new_positions, new_blocks = pem_positions([lines[i].text for i in new_view])
    in_pem = {old_view[p] for p in old_positions} | {new_view[p] for p in new_positions}
    kinds: dict[int, list[str]] = {}
    for first, last in new_blocks:
        added = [new_view[p] for p in range(first, last + 1) if lines[new_view[p]].kind == "added"]
        if added:  # one finding per key, on its first added line
            kinds[added[0]] = [PEM_KIND]
    return in_pem, kinds


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
    m = _PEM_BEGIN.search(text)
    return m is not None and _PEM_TAIL.fullmatch(text[m.end() :]) is not None


def _body_size(text: str) -> int | None:
    """Base64 characters on a key-material line; None when the line is something else."""
    if _PEM_HEADER.match(text):
        return 0
    m = _PEM_BODY.fullmatch(text)
    return len(m.group("b64")) if m else None


def redact_pem_line(text: str) -> str:
    begin = _PEM_BEGIN.search(text)
    if begin:
        return text[: begin.start()] + placeholder(PEM_KIND)
    indent = text[: len(text) - len(text.lstrip())]
    end = _PEM_END.search(text)
    return indent + placeholder(PEM_KIND) + (text[end.end() :] if end else "")
