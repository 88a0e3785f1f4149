"""What real OpenAI-compatible servers send, for the fake model server: their error bodies
(llama-cpp-python's recorded from a real run; llama-server's, vLLM's and Ollama's refusals of
tools with the messages their sources raise) and the shapes of function calls and of the
conversations that carry them."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class HttpError:
    status: int
    body: Any = None  # dict -> JSON, str -> text; default xAI's shape
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0


# What llama-cpp-python's server (0.3.x, `python -m llama_cpp.server`) answered to
# response_format json_schema, recorded from a real run; only the traceback path is shortened.
LLAMA_CPP_PYTHON_REFUSAL = {
    "error": {
        "message": "1 validation error:\n  {'type': 'literal_error', 'loc': ('body', "
        "'response_format', 'type'), 'msg': \"Input should be 'text' or 'json_object'\", "
        "'input': 'json_schema', 'ctx': {'expected': \"'text' or 'json_object'\"}}\n\n  "
        'File "llama_cpp/server/app.py", line 376, in create_chat_completion\n'
        "    POST /v1/chat/completions",
        "type": "internal_server_error",
        "param": None,
        "code": None,
    }
}
# Servers without function calling, as they answer a request with `tools`: vLLM started
# without --enable-auto-tool-choice (400, OpenAI's error shape), Ollama for a model without
# tool support (400), llama-server without --jinja (500, its `server_error`; it also raises
# "Unsupported param: tool_choice" for a request with tool_choice alone).
VLLM_NO_TOOLS = {
    "object": "error",
    "message": '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser '
    "to be set",
    "type": "BadRequestError",
    "param": None,
    "code": 400,
}
OLLAMA_NO_TOOLS = {
    "error": {
        "message": "registry.ollama.ai/library/gemma:2b does not support tools",
        "type": "api_error",
        "param": None,
        "code": None,
    }
}
LLAMA_SERVER_NO_JINJA = {
    "error": {"code": 500, "message": "tools param requires --jinja flag", "type": "server_error"}
}
# llama-server (llama.cpp) when its slots share one cache and it runs out.
CONTEXT_FULL = {
    "error": {"code": 500, "message": "Context size has been exceeded.", "type": "server_error"}
}


def exceeds_context(prompt_tokens: int, n_ctx: int) -> HttpError:
    """llama-server's 400 for a prompt over its context, with the numbers in fields."""
    message = (
        f"request ({prompt_tokens} tokens) exceeds the available context size "
        f"({n_ctx} tokens), try increasing it"
    )
    body = {
        "error": {
            "code": 400,
            "message": message,
            "type": "exceed_context_size_error",
            "n_prompt_tokens": prompt_tokens,
            "n_ctx": n_ctx,
        }
    }
    return HttpError(status=400, body=body)


def format_refusal(fmt: str, accepted: Iterable[str]) -> HttpError:
    """llama-cpp-python's refusal of a response_format type, for any accepted list."""
    expected = " or ".join(f"'{a}'" for a in accepted if a != "json_schema") or "'text'"
    body = json.loads(json.dumps(LLAMA_CPP_PYTHON_REFUSAL))
    body["error"]["message"] = (
        "1 validation error:\n  {'type': 'literal_error', 'loc': ('body', 'response_format', "
        f"'type'), 'msg': \"Input should be {expected}\", 'input': '{fmt}'}}"
    )
    return HttpError(status=500, body=body)


def tool_call(name: str, arguments: dict[str, Any] | str, *, id: str | None = None) -> dict:
    """One function call as a reply carries it; `arguments` is sent as JSON text."""
    text = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return {"id": id or "", "type": "function", "function": {"name": name, "arguments": text}}


def messages_of(request: dict[str, Any]) -> list[dict[str, Any]]:
    """The messages a request sent (the conversation so far)."""
    return list(request["json"]["messages"])


def unanswered_calls(messages: list[dict[str, Any]]) -> list[str]:
    """Ids of tool calls not answered by the `tool` messages right after their assistant
    message (or tool messages answering no pending call), as OpenAI's API checks them."""
    pending: list[str] = []
    for message in messages:
        role = message.get("role")
        if role == "tool":
            call_id = message.get("tool_call_id")
            if call_id not in pending:
                return [f"{call_id} (answers no call)"]
            pending.remove(call_id)
            continue
        if pending:
            return pending
        if role == "assistant":
            pending = [c["id"] for c in message.get("tool_calls") or []]
    return pending
