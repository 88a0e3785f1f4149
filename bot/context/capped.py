"""Tool results cut to a token budget, saying what was cut: lines go in while they fit."""

from __future__ import annotations

from bot.tokens import estimate_tokens

MAX_LINE_CHARS = 400  # a longer line (minified code, data) is shown cut, with its length


def show_line(text: str) -> str:
    """A line as a result shows it: cut past MAX_LINE_CHARS, saying how much is left out."""
    if len(text) <= MAX_LINE_CHARS:
        return text
    return f"{text[:MAX_LINE_CHARS]}… [+{len(text) - MAX_LINE_CHARS:,} characters]"


class Capped:
    """Lines under a token budget. The header and the closing note have room kept for them;
    a line that does not fit ends the result (later lines are counted, not shown)."""

    NOTE_TOKENS = 60  # kept free for the note saying what was cut

    def __init__(self, max_tokens: int, *, header: str = "") -> None:
        self.header = header
        self._left = max_tokens - estimate_tokens(header + "\n") - self.NOTE_TOKENS
        self.lines: list[str] = []
        self.full = False

    def add(self, line: str) -> bool:
        """Add `line` when it fits (and nothing was refused before); False once full."""
        if self.full:
            return False
        # Estimates of the parts add up to at least the estimate of the whole.
        cost = estimate_tokens(line + "\n")
        if cost > self._left:
            self.full = True
            return False
        self._left -= cost
        self.lines.append(line)
        return True

    def text(self, note: str = "") -> str:
        """The result: header, lines, and `note` (what was cut) when there is one."""
        parts = [self.header] if self.header else []
        parts += self.lines
        if note:
            parts.append(note)
        return "\n".join(parts)
