"""The structured-output ladder: how a server is asked for JSON, and what a run learned."""

from __future__ import annotations

import threading
from typing import Literal

# Servers differ in what `response_format` they take. xAI, OpenAI, vLLM, SGLang, LM Studio,
# Ollama and llama.cpp's llama-server take a JSON schema; llama-cpp-python takes only
# `json_object` with the schema under a `schema` key (its grammar then enforces it); some
# take neither. A request steps down only when the server's error names the response format.
Mode = Literal["json_schema", "json_object", "text"]
LADDER: tuple[Mode, ...] = ("json_schema", "json_object", "text")

_SAID: dict[str, str] = {
    "json_schema": "a JSON schema (response_format json_schema)",
    "json_object": "JSON mode with the schema attached (response_format json_object)",
    "text": "plain text, with the schema in the prompt, validated here",
}


def step_down(mode: Mode) -> Mode | None:
    """The next rung below `mode`, or None at the bottom."""
    i = LADDER.index(mode)
    return LADDER[i + 1] if i + 1 < len(LADDER) else None


def describe_mode(mode: str) -> str:
    """How the model was asked, for the review summary."""
    return _SAID.get(mode, mode)


class ServerMemory:
    """The rung each server (base URL + model) settled on, and whether it takes function
    calling, kept for the life of the process.

    One run shares one memory, so the first chunk's refusal spares every later chunk the
    same refusal; the App keeps one for all its runs. Never persisted: a server that is
    upgraded is asked the best way again after a restart.
    """

    def __init__(self) -> None:
        self._modes: dict[tuple[str, str], Mode] = {}
        self._no_tools: set[tuple[str, str]] = set()  # servers that refused function calling
        self._lock = threading.Lock()  # the App's workers review in threads

    def takes_tools(self, base_url: str, model: str) -> bool:
        """False once the server refused `tools` (function calling) in this process."""
        with self._lock:
            return (base_url.rstrip("/"), model) not in self._no_tools

    def refuse_tools(self, base_url: str, model: str) -> None:
        """Remember that the server takes no function calling: no request offers tools again."""
        with self._lock:
            self._no_tools.add((base_url.rstrip("/"), model))

    def mode(self, base_url: str, model: str) -> Mode:
        with self._lock:
            return self._modes.get((base_url.rstrip("/"), model), LADDER[0])

    def lower(self, base_url: str, model: str, *, below: Mode) -> Mode | None:
        """Step the server down from `below` (the rung that was refused), once.

        Several chunks in flight may be refused at the same rung; only the first steps down,
        the others find the server already lower. None when there is no rung left.
        """
        key = (base_url.rstrip("/"), model)
        with self._lock:
            current = self._modes.get(key, LADDER[0])
            if LADDER.index(current) > LADDER.index(below):
                return current
            lower = step_down(below)
            if lower is not None:
                self._modes[key] = lower
            return lower
