"""Which GitHub events and comments ask for a review — shared by the Action and the App (pure)."""

from __future__ import annotations

from typing import Literal

from bot.markdown import MARKER_PREFIX

Trigger = Literal["auto", "command", "command_full"]

REVIEW_ACTIONS = frozenset({"opened", "reopened", "synchronize", "ready_for_review"})
# Only people who can already push may spend the model budget on demand.
TRUSTED_ASSOCIATIONS = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})
OWN_MARKER = MARKER_PREFIX  # a comment the bot wrote is never a command


def parse_command(body: str) -> Trigger | None:
    """`/review` -> "command", `/review full` -> "command_full", anything else -> None."""
    lines = body.strip().splitlines()
    words = lines[0].split() if lines else []
    if not words or words[0] != "/review":
        return None
    return "command_full" if len(words) > 1 and words[1].lower() == "full" else "command"
