"""The repository-context section of a chunk's message, and what it costs in tokens (pure)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.diff.render import escape_name
from bot.model.sections import defuse_section_tags, section
from bot.models import ContextPiece
from bot.secrets.redact import redact_path
from bot.tokens import estimate_tokens

_CONTEXT_INTRO = (
    "Repository code for understanding this part of the diff (at the pull request's head "
    "unless a header says base). Not part of the diff: never cite these lines."
)
CONTEXT_GAP = "\n\n"


def render_context_piece(piece: ContextPiece) -> str:
    """One excerpt: `### Context: PATH lines A-B[ (base)]: REASONS`, then its lines."""
    version = " (base)" if piece.base else ""
    # The path as file headers show it: a secret in it redacted, a line break escaped.
    where = f"{escape_name(redact_path(piece.path))} lines {piece.start}-{piece.end}{version}"
    return f"### Context: {where}: {'; '.join(piece.reasons)}\n{piece.text}\n"


def render_context(pieces: Sequence[ContextPiece]) -> str:
    """The delimited context section of a chunk's message; empty without pieces."""
    if not pieces:
        return ""
    body = "\n".join([_CONTEXT_INTRO, "", *(render_context_piece(p) for p in pieces)])
    return section("untrusted_context", body)


def context_piece_tokens(piece: ContextPiece) -> int:
    """An upper bound of what `piece` adds to the context section, separator included."""
    return estimate_tokens(defuse_section_tags(render_context_piece(piece)) + "\n")


# What the section costs around its pieces: its tags, the intro and the gap before the diff
# (the section is "<tag>\n" + intro + "\n\n" + each piece + "\n", then "</tag>").
CONTEXT_FRAME_TOKENS = (
    estimate_tokens(f"<untrusted_context>\n{_CONTEXT_INTRO}\n\n")
    + estimate_tokens("</untrusted_context>")
    + estimate_tokens(CONTEXT_GAP)
)


def context_tokens(pieces: Sequence[ContextPiece]) -> int:
    """The estimate of `pieces` as sent (0 without pieces): at most CONTEXT_FRAME_TOKENS plus
    the sum of context_piece_tokens, so a selection fitted by those never overruns."""
    section = render_context(pieces)
    return estimate_tokens(section + CONTEXT_GAP) if section else 0
