"""What an error answer means: the classification that decides retry, step down, split or stop."""

from __future__ import annotations

import json

import pytest

from bot.model.errors import classify, parse_overflow
from bot.models import ContextOverflow
from tests.fakes.openai_server import (
    CONTEXT_FULL,
    LLAMA_CPP_PYTHON_REFUSAL,
    LLAMA_SERVER_NO_JINJA,
    OLLAMA_NO_TOOLS,
    VLLM_NO_TOOLS,
    exceeds_context,
    format_refusal,
)

LLAMA_CPP_PYTHON_TOO_LONG = {
    "error": {
        "message": "This model's maximum context length is 8192 tokens. However, you requested "
        "9031 tokens (9031 in the messages, None in the completion). Please reduce the length "
        "of the messages or completion.",
        "type": "invalid_request_error",
        "param": "messages",
        "code": "context_length_exceeded",
    }
}


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (500, LLAMA_CPP_PYTHON_REFUSAL, "format"),
        (500, format_refusal("json_object", ["text"]).body, "format"),
        (400, {"error": {"message": "response_format json_schema is not supported"}}, "format"),
        (422, {"detail": "Unknown response_format type: json_schema"}, "format"),
        (500, CONTEXT_FULL, "context_full"),
        (400, exceeds_context(7780, 8192).body, "too_long"),
        (400, LLAMA_CPP_PYTHON_TOO_LONG, "too_long"),
        (401, {"error": "Incorrect API key provided"}, "auth"),
        (403, {"error": "forbidden"}, "auth"),
        (404, {"error": "model not found"}, "not_found"),
        (400, {"error": "temperature is invalid"}, "request"),
        (413, "Request Entity Too Large", "too_long"),
        (422, {"detail": [{"loc": ["body", "messages"], "msg": "field required"}]}, "request"),
        (500, {"detail": "1 validation error: 'loc': ('body', 'temperature')"}, "request"),
        (429, {"error": "rate limited"}, "transient"),
        (408, "timeout", "transient"),
        (500, {"error": "internal error"}, "transient"),
        (502, "Bad gateway", "transient"),
        (503, {"error": "overloaded"}, "transient"),
        (504, "Gateway Timeout", "transient"),
    ],
)
def test_classify(status: int, body: object, kind: str) -> None:
    text = body if isinstance(body, str) else json.dumps(body)
    assert classify(status, text) == kind


def test_a_format_word_in_a_transient_status_is_not_a_refusal() -> None:
    # 503 "overloaded" never means the format is wrong, whatever the body quotes.
    assert classify(503, '{"error": "overloaded while serving json_schema"}') == "transient"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (exceeds_context(7780, 8192).body, ContextOverflow(n_ctx=8192, prompt_tokens=7780)),
        (LLAMA_CPP_PYTHON_TOO_LONG, ContextOverflow(n_ctx=8192, prompt_tokens=9031)),
        (
            {
                "error": {
                    "message": "maximum context length is 131072 tokens, your messages "
                    "resulted in 140000 tokens"
                }
            },
            ContextOverflow(n_ctx=131072, prompt_tokens=140000),
        ),
        ({"error": "prompt is too long"}, ContextOverflow()),
    ],
)
def test_parse_overflow_reads_what_the_server_states(
    body: dict[str, object], expected: ContextOverflow
) -> None:
    assert parse_overflow(body, json.dumps(body)) == expected


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, VLLM_NO_TOOLS),
        (400, OLLAMA_NO_TOOLS),
        (500, LLAMA_SERVER_NO_JINJA),
        (400, {"error": {"message": "Unrecognized request argument supplied: tools"}}),
        (422, {"detail": [{"loc": ["body", "tool_choice"], "msg": "extra fields not permitted"}]}),
        (400, {"error": "function calling is not supported by this model"}),
        (500, {"error": {"code": 500, "message": "Unsupported param: tool_choice"}}),
    ],
)
def test_a_refusal_of_function_calling_is_tools_only_when_tools_were_offered(
    status: int, body: object
) -> None:
    text = json.dumps(body)
    assert classify(status, text, tools=True) == "tools"
    assert classify(status, text) != "tools"


def test_a_refusal_naming_tools_drops_them_first_but_too_long_stays_too_long() -> None:
    too_long = (
        "This model's maximum context length is 8192 tokens. However, you requested 9000 "
        "tokens (8500 in the messages, 500 in the functions)."
    )
    assert classify(400, too_long, tools=True) == "too_long"
    assert classify(500, json.dumps(LLAMA_CPP_PYTHON_REFUSAL), tools=True) == "format"
    both = "response_format json_schema is not supported together with tools"
    assert classify(400, both, tools=True) == "tools"  # keep the format, drop the tools
    assert classify(400, both) == "format"
    assert classify(429, "too many tool calls, slow down", tools=True) == "transient"
    assert classify(400, "tool_call_id abc is unknown", tools=True) == "request"
