"""Fingerprint, dedupe, threshold and cap findings; decide whether a review blocks."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from bot.config import FailOn
from bot.models import (
    FileDiff,
    Finding,
    MutedKind,
    Review,
    Severity,
    at_least,
    severity_rank,
)
from bot.review.anchor import FileLines, find_file, index_files, line_matches, quote_lines

_NOT_WORD = re.compile(r"[\W\d_]+")
_SEP = "\x1f"  # cannot occur in a path or a title, so fields cannot run into each other
# Two normalised titles are "near-identical" when their word sets overlap this much
# (Jaccard: shared words / all words). "Possible off-by-one" is like "Off-by-one" (3/4);
# "Missing null check" is not like "Missing null check on user" (3/5), nor "SQL injection
# via input" like "SQL injection through input" (3/5).
LIKE_TITLE_OVERLAP = 0.75


def _collapse(text: str) -> str:
    return " ".join(text.split())


def normalize_title(title: str) -> str:
    """Lowercase, no digits/punctuation, spaces collapsed: "Line 42 leaks!" -> "line leaks"."""
    return _collapse(_NOT_WORD.sub(" ", title.lower()))


def _anchored_code(finding: Finding, fl: FileLines | None) -> str | None:
    if fl is None:
        return None
    texts = fl.texts(finding.side)
    first = finding.start_line if finding.start_line is not None else finding.line
    lines = [texts.get(n) for n in range(first, finding.line + 1)]
    if not lines or any(t is None for t in lines):
        return None
    quotes = quote_lines(finding.code)
    if quotes and not any(line_matches(t or "", q) for t in lines for q in quotes):
        return None  # the cited line is not what the model quoted: trust the quote
    return _collapse("\n".join(t for t in lines if t is not None))


def _fingerprint(finding: Finding, fl: FileLines | None) -> str:
    # The code at the anchor, not the line number, so the same problem moved down by an
    # edit elsewhere keeps its fingerprint and is not posted twice.
    code = _anchored_code(finding, fl)
    if code is None:
        code = _collapse(finding.code)
    path = fl.file.path if fl is not None else finding.path
    key = _SEP.join((path, code, finding.category, normalize_title(finding.title)))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def fingerprint(finding: Finding, files: Sequence[FileDiff]) -> str:
    """sha256(path + code at the anchor + category + normalised title), 16 hex chars."""
    return _fingerprint(finding, find_file(finding.path, index_files(files)))


def with_fingerprints(
    findings: Sequence[Finding], files: Sequence[FileDiff]
) -> tuple[Finding, ...]:
    """Each finding with its `fingerprint` field set (the line maps are built once)."""
    index = index_files(files)
    return tuple(
        f.model_copy(update={"fingerprint": _fingerprint(f, find_file(f.path, index))})
        for f in findings
    )


def similar_titles(a: str, b: str) -> bool:
    """Near-identical once normalised: equal, or word sets overlapping LIKE_TITLE_OVERLAP."""
    na, nb = normalize_title(a), normalize_title(b)
    if na == nb:
        return True
    wa, wb = set(na.split()), set(nb.split())
    return bool(wa and wb) and len(wa & wb) / len(wa | wb) >= LIKE_TITLE_OVERLAP


def is_like(f: Finding, kind: MutedKind) -> bool:
    """`f` is the muted kind: the same fingerprint, or the same path and category with a
    near-identical title. A leaked secret matches only by fingerprint: a new secret in a
    file is never dropped because an old one there was voted down."""
    if f.fingerprint and f.fingerprint == kind.fingerprint:
        return True
    if f.category == "secret":
        return False
    return (
        f.path == kind.path and f.category == kind.category and similar_titles(f.title, kind.title)
    )


@dataclass(frozen=True)
class Selection:
    """What goes inline, what is only listed, and how many were left out and why."""

    comments: tuple[Finding, ...]  # most severe first, at most max_comments
    overflow: tuple[Finding, ...]  # passed every filter but over max_comments
    dropped_below_threshold: int  # severity/confidence too low, or a style nit
    already_posted: int  # fingerprint already on the PR
    duplicates: int = 0  # the same problem reported twice (e.g. by two chunks)
    muted: int = 0  # like a comment maintainers voted down earlier in the repository


def _rank(f: Finding) -> tuple[int, float, str, int, str, str, str]:
    return (severity_rank(f.severity), -f.confidence, f.path, f.line, f.side, f.category, f.title)


def dedupe(findings: Sequence[Finding]) -> tuple[Finding, ...]:
    """One finding per problem: same fingerprint, or same path+line+side+category.

    The most severe (then most confident) copy wins; output is in rank order.
    """
    seen: set[tuple[str, ...]] = set()
    kept: list[Finding] = []
    for f in sorted(findings, key=_rank):
        keys: set[tuple[str, ...]] = {("loc", f.path, str(f.line), f.side, f.category)}
        if f.fingerprint:
            keys.add(("fp", f.fingerprint))
        if keys & seen:
            continue
        seen |= keys
        kept.append(f)
    return tuple(kept)


def passes_threshold(
    f: Finding, *, min_severity: Severity, min_confidence: float, style_nits: bool = False
) -> bool:
    """Severity and confidence high enough; a leaked secret always passes."""
    if f.category == "secret":
        return True
    if f.category == "style" and f.severity == "nit" and not style_nits:
        return False
    return at_least(f.severity, min_severity) and f.confidence >= min_confidence


def select_findings(
    findings: Sequence[Finding],
    *,
    min_severity: Severity,
    min_confidence: float,
    max_comments: int,
    posted_fingerprints: Collection[str] = (),
    style_nits: bool = False,
    muted: Sequence[MutedKind] = (),
) -> Selection:
    """Dedupe, threshold, drop muted kinds, skip already-posted ones, cap (most severe first)."""
    unique = dedupe(findings)
    passing = [
        f
        for f in unique
        if passes_threshold(
            f, min_severity=min_severity, min_confidence=min_confidence, style_nits=style_nits
        )
    ]
    wanted = [f for f in passing if not any(is_like(f, kind) for kind in muted)]
    posted = set(posted_fingerprints)
    fresh = [f for f in wanted if not (f.fingerprint and f.fingerprint in posted)]
    limit = max(0, max_comments)
    return Selection(
        comments=tuple(fresh[:limit]),
        overflow=tuple(fresh[limit:]),
        dropped_below_threshold=len(unique) - len(passing),
        already_posted=len(wanted) - len(fresh),
        duplicates=len(findings) - len(unique),
        muted=len(passing) - len(wanted),
    )


def blocking(findings: Sequence[Finding], fail_on: FailOn) -> bool:
    """True when some finding is at `fail_on` severity or worse ("none" never blocks)."""
    if fail_on == "none":
        return False
    return any(at_least(f.severity, fail_on) for f in findings)


def review_blocks(review: Review, fail_on: FailOn) -> bool:
    """The review reports a finding that reaches `fail_on`: the one rule for exit code 1, the
    check run's failure, REQUEST_CHANGES and keeping an earlier request for changes.

    Every reported finding counts: inline, over the comment limit, and not tied to a changed
    line. One the model could not place is still a real finding that passed the same bar;
    where it sits in the diff does not make it less severe. Findings left out (below the
    threshold, duplicates) never count; ones already posted are the caller's choice (the
    GitHub run judges on every finding, posted before or not).
    """
    return blocking([*review.comments, *review.overflow, *review.unanchored], fail_on)
