"""`review-pr --diff` end to end against the fake model: formats, exit codes, usage line."""

from __future__ import annotations

import json

import jsonschema
import pytest

from bot.cli.main import main
from tests import DATA
from tests.fakes.openai_server import FakeModel, error, finding, findings, raw

DIFF = (
    "diff --git a/app.py b/app.py\n"
    "--- a/app.py\n"
    "+++ b/app.py\n"
    "@@ -1,2 +1,3 @@\n"
    " def f(x):\n"
    "-    return x\n"
    "+    y = x / 0\n"
    "+    return y\n"
)


@pytest.fixture
def model(monkeypatch, tmp_path):
    with FakeModel() as fake:
        monkeypatch.setenv("XAI_API_KEY", "test-key")
        monkeypatch.setenv("GROK_REVIEW_BASE_URL", fake.url)
        monkeypatch.setenv("GROK_REVIEW_RETRY_BASE_S", "0")
        monkeypatch.setenv("GROK_REVIEW_MODEL_RETRIES", "1")
        monkeypatch.chdir(tmp_path)
        (tmp_path / "x.diff").write_text(DIFF)
        yield fake


BUG = finding(
    "app.py",
    2,
    severity="major",
    category="bug",
    title="Division by zero",
    body="Always raises ZeroDivisionError.",
    code="    y = x / 0",
    confidence=0.9,
)


def test_json_review_has_the_documented_shape(model, capsys):
    model.queue([findings([BUG])])
    assert main(["--diff", "x.diff", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {
        "summary",
        "model",
        "served_model",
        "comments",
        "unanchored",
        "overflow",
        "skipped_files",
        "usage",
        "errors",
    }
    (comment,) = out["comments"]
    assert comment["path"] == "app.py" and comment["line"] == 2 and comment["side"] == "RIGHT"
    assert comment["fingerprint"]
    assert out["usage"]["requests"] == 1
    assert model.requests[0]["json"]["response_format"]["type"] == "json_schema"


def test_finding_off_the_diff_is_unanchored_not_lost(model, capsys):
    far = {**BUG, "line": 40, "code": "something else entirely"}
    model.queue([findings([far])])
    assert main(["--diff", "x.diff", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["comments"] == [] and len(out["unanchored"]) == 1


def test_fail_on_reached_exits_1(model, capsys):
    model.queue([findings([BUG])])
    assert main(["--diff", "x.diff", "--fail-on", "major", "--format", "markdown"]) == 1
    assert "Division by zero" in capsys.readouterr().out


def test_reply_that_never_validates_exits_3_and_still_prints(model, capsys):
    model.queue([raw("not json"), raw("still not json")])
    assert main(["--diff", "x.diff", "--format", "json"]) == 3
    out = json.loads(capsys.readouterr().out)
    assert out["errors"] and out["comments"] == []


def test_server_error_after_retries_exits_3(model, capsys):
    model.queue([error(500), error(500), error(500)])
    assert main(["--diff", "x.diff", "--format", "json", "--quiet"]) == 3


def test_sarif_output_validates(model, capsys):

    model.queue([findings([BUG])])
    assert main(["--diff", "x.diff", "--format", "sarif"]) == 0
    sarif = json.loads(capsys.readouterr().out)
    schema_path = DATA / "sarif" / "sarif-2.1.0-rtm.5.json"
    jsonschema.Draft4Validator(json.loads(schema_path.read_text())).validate(sarif)
    assert (
        sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"]
        == 2
    )


def test_text_output_ends_with_usage_and_output_file(model, capsys, tmp_path):
    model.queue([findings([BUG]), findings([BUG])])
    assert main(["--diff", "x.diff", "--no-color"]) == 0
    text = capsys.readouterr().out
    assert "app.py:2" in text and "request" in text and "$" in text
    assert main(["--diff", "x.diff", "--format", "json", "--output", "r.json"]) == 0
    captured = capsys.readouterr()
    assert json.loads((tmp_path / "r.json").read_text())["comments"]
    assert "request" in captured.err  # the usage line goes to stderr for file output


def test_secret_never_reaches_the_model(model, capsys, tmp_path):
    token = "ghp_" + "A1b2" * 9
    (tmp_path / "s.diff").write_text(
        f'--- a/cfg.py\n+++ b/cfg.py\n@@ -1 +1,2 @@\n x = 1\n+GITHUB_TOKEN = "{token}"\n'
    )
    model.queue([findings([])])
    assert main(["--diff", "s.diff", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert token not in json.dumps(model.requests)
    assert any(c["category"] == "secret" and c["severity"] == "critical" for c in out["comments"])


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--base-url", "notaurl"], {}, "--base-url notaurl: must be an http:// or https:// URL"),
        ([], {"GROK_REVIEW_BASE_URL": "ftp://x"}, "GROK_REVIEW_BASE_URL: must be an http"),
        (["--max-comments", "51"], {}, "--max-comments 51: must be at most 50"),
        (["--concurrency", "0"], {}, "--concurrency 0: must be at least 1"),
        ([], {"GROK_REVIEW_PRICES": "{bad"}, "GROK_REVIEW_PRICES: not valid JSON"),
    ],
)
def test_bad_flag_or_setting_is_one_line_exit_2_before_any_request(
    model, capsys, monkeypatch, args, env, message
):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    model.queue([findings([BUG])])
    assert main(["--diff", "x.diff", *args]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(f"review-pr: error: {message}")
    assert captured.err.count("\n") == 1 and captured.out == ""
    assert model.requests == []


@pytest.mark.parametrize("where", ["/nonexistent/dir/x.txt", "."])
def test_bad_output_path_is_refused_before_any_request(model, capsys, where):
    model.queue([findings([BUG])])
    assert main(["--diff", "x.diff", "--output", where]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"review-pr: error: --output {where}: ") and err.count("\n") == 1
    assert model.requests == []


def _sarif_schema() -> dict:
    return json.loads((DATA / "sarif" / "sarif-2.1.0-rtm.5.json").read_text())


@pytest.mark.parametrize("fmt", ["json", "sarif", "markdown", "text"])
@pytest.mark.parametrize("to_file", [True, False])
def test_empty_diff_is_a_valid_empty_document_in_every_format(
    model, capsys, tmp_path, fmt, to_file
):
    (tmp_path / "empty.diff").write_text("")
    args = ["--diff", "empty.diff", "--format", fmt]
    assert main([*args, "--output", "out"] if to_file else args) == 0
    captured = capsys.readouterr()
    document = (tmp_path / "out").read_text() if to_file else captured.out
    assert "Nothing to review: the diff is empty." in captured.err
    if fmt == "json":
        doc = json.loads(document)
        assert doc["comments"] == doc["unanchored"] == doc["overflow"] == doc["errors"] == []
        assert doc["usage"]["requests"] == 0
    elif fmt == "sarif":
        doc = json.loads(document)
        jsonschema.Draft4Validator(_sarif_schema()).validate(doc)
        assert doc["runs"][0]["results"] == []
    else:
        assert "Nothing to review: the diff is empty." in document
    if to_file:
        assert captured.out == ""
    assert model.requests == []


def test_nothing_left_to_send_needs_no_key(model, capsys, tmp_path, monkeypatch):
    monkeypatch.delenv("XAI_API_KEY")
    (tmp_path / "lock.diff").write_text(
        "--- a/package-lock.json\n+++ b/package-lock.json\n@@ -1 +1 @@\n-{}\n+{ }\n"
    )
    assert main(["--diff", "lock.diff", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["skipped_files"] == [{"path": "package-lock.json", "reason": "lockfile"}]
    assert model.requests == []


@pytest.mark.parametrize("to_file", [True, False])
def test_errors_reach_stderr_when_the_review_goes_to_a_file_or_a_pipe(
    model, capsys, tmp_path, to_file
):
    model.queue([error(500), error(500), error(500)])
    args = ["--diff", "x.diff", "--quiet"]
    assert main([*args, "--output", "r.txt"] if to_file else args) == 3
    captured = capsys.readouterr()
    errors = [ln for ln in captured.err.splitlines() if ln.startswith("review-pr: error: ")]
    assert len(errors) == 1 and "500" in errors[0]
    document = (tmp_path / "r.txt").read_text() if to_file else captured.out
    assert errors[0].removeprefix("review-pr: error: ") in " ".join(document.split())


def test_fail_on_counts_findings_not_tied_to_a_changed_line(model, capsys):
    far = {**BUG, "line": 40, "code": "something else entirely"}
    model.queue([findings([far])])
    assert main(["--diff", "x.diff", "--fail-on", "major", "--no-color"]) == 1
    out = capsys.readouterr().out
    first, second = out.splitlines()[:3:2]
    reported = "1 finding reported: 1 not tied to a changed line."
    assert first.startswith(f"Reviewed 1 of 1 file (3 changed lines). {reported} ")
    assert second == "Reported by severity: 0 critical · 1 major · 0 minor · 0 nit"


def test_model_unreachable_is_not_reviewed(model, capsys):
    model.queue([error(500), error(500)])
    assert main(["--diff", "x.diff", "--no-color", "--quiet"]) == 3
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("Reviewed 0 of 1 file (0 of 3 changed lines). No findings.")
    assert "Incomplete: 1 request failed" in first


def test_enabled_false_is_honoured_locally_unless_forced(model, capsys, tmp_path):
    (tmp_path / "cfg.yml").write_text("enabled: false\n")
    model.queue([findings([BUG])])
    args = ["--diff", "x.diff", "--config", "cfg.yml", "--format", "json"]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["comments"] == [] and model.requests == []
    assert "enabled: false (--force reviews anyway)" in captured.err
    assert main([*args, "--dry-run"]) == 0  # planning is free
    assert json.loads(capsys.readouterr().out)["files"]["total"] == 1 and model.requests == []
    assert main([*args, "--force"]) == 0
    assert json.loads(capsys.readouterr().out)["comments"] and len(model.requests) == 1


def test_a_local_server_needs_no_key_and_its_cost_is_unknown(model, capsys, monkeypatch):
    monkeypatch.delenv("XAI_API_KEY")
    model.script(lambda request: findings([BUG], model="local"))
    args = ["--diff", "x.diff", "--format", "json", "--base-url", model.url, "--model", "local"]
    assert main(args) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert "authorization" not in model.requests[0]["headers"]
    assert out["usage"]["requests"] == 1
    assert (out["usage"]["cost_usd"], out["usage"]["cost_known"]) == (0.0, False)
    assert "cost unknown" in captured.err and "$0.0000" not in captured.err


def test_a_rejected_key_stops_at_once_with_one_line_and_exit_2(model, capsys):
    model.script(lambda request: error(401, {"error": "Incorrect API key provided"}))
    assert main(["--diff", "x.diff", "--format", "json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.strip().splitlines()
    assert line.startswith("review-pr: error: the model server at " + model.url)
    assert "rejected the key" in line and "Incorrect API key provided" in line
    assert len(model.requests) == 1  # not retried, not once per chunk
