"""`review-pr --dry-run`: local git ranges, diff files, stdin, config and settings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.helpers import plan_of, run_cli
from tests.helpers.git import git

PLAN_KEYS = {
    "model",
    "context_tokens",
    "input_budget_tokens",
    "files",
    "changed_lines",
    "chunks",
    "estimated_cost_usd",
}


def test_branch_against_merge_base_json_shape(repo: Path) -> None:
    plan = plan_of(run_cli("--dry-run", "--format", "json", cwd=repo))
    assert set(plan) >= PLAN_KEYS
    assert plan["model"] == "grok-code-fast-1"
    assert plan["context_tokens"] == 256_000
    assert plan["files"]["total"] == 3
    assert plan["files"]["reviewed"] == 2
    assert plan["files"]["skipped"] == [{"path": "package-lock.json", "reason": "lockfile"}]
    assert plan["changed_lines"]["total"] == plan["changed_lines"]["in_chunks"] > 0
    chunk = plan["chunks"][0]
    assert set(chunk) >= {"files", "estimated_tokens", "changed_lines"}
    assert sorted(f for c in plan["chunks"] for f in c["files"]) == ["src/app.py", "src/util.py"]
    assert all(c["estimated_tokens"] <= plan["input_budget_tokens"] for c in plan["chunks"])
    assert plan["estimated_cost_usd"] > 0


def test_base_ref_staged_and_working_tree(repo: Path) -> None:
    plan = plan_of(run_cli("--dry-run", "--format", "json", "--base", "HEAD~1", cwd=repo))
    assert plan["files"]["total"] == 2  # only the last commit: util.py and the lock file
    (repo / "src" / "util.py").write_text("VALUE = 2\n")
    (repo / "src" / "new.py").write_text("X = 1\n")
    git(repo, "add", "src/new.py")
    staged = plan_of(run_cli("--dry-run", "--format", "json", "--staged", cwd=repo))
    assert [c["files"] for c in staged["chunks"]] == [["src/new.py"]]
    tree = plan_of(run_cli("--dry-run", "--format", "json", "--working-tree", cwd=repo))
    assert sorted(f for c in tree["chunks"] for f in c["files"]) == ["src/new.py", "src/util.py"]


def test_diff_file_and_stdin_agree(repo: Path, tmp_path: Path) -> None:
    diff = git(repo, "diff", "main", "feature").encode()
    (tmp_path / "x.diff").write_bytes(diff)
    from_file = plan_of(run_cli("--dry-run", "--format", "json", "--diff", "x.diff", cwd=tmp_path))
    from_stdin = plan_of(
        run_cli("--dry-run", "--format", "json", "--diff", "-", cwd=tmp_path, stdin=diff)
    )
    assert from_file == from_stdin
    assert from_file["files"]["total"] == 3


def test_a_diff_file_alone_has_no_context_and_the_plan_says_so(repo: Path, tmp_path: Path) -> None:
    diff = git(repo, "diff", "main", "feature").encode()
    (tmp_path / "x.diff").write_bytes(diff)
    plan = plan_of(run_cli("--dry-run", "--format", "json", "--diff", "x.diff", cwd=tmp_path))
    assert plan["context"]["source"] == "none"
    assert plan["context"]["tokens"] == plan["context"]["items"] == 0
    assert plan["context"]["note"]  # why, in one line
    assert [c["context_tokens"] for c in plan["chunks"]] == [0] * len(plan["chunks"])
    text = run_cli("--dry-run", "--diff", "x.diff", cwd=tmp_path).stdout.decode()
    assert "Repository context: none (" in text


def test_text_output_lists_kept_skipped_and_cost(repo: Path) -> None:
    proc = run_cli("--dry-run", cwd=repo)
    out = proc.stdout.decode()
    assert proc.returncode == 0, proc.stderr.decode()
    assert "src/app.py" in out and "package-lock.json" in out and "lockfile" in out
    assert "$" in out


def test_not_a_diff_exits_2_without_traceback(tmp_path: Path) -> None:
    proc = run_cli("--dry-run", "--diff", "-", cwd=tmp_path, stdin=b"hello, this is prose\n")
    assert proc.returncode == 2
    err = proc.stderr.decode()
    assert "not a unified diff" in err
    assert "Traceback" not in err


def test_empty_diff_has_nothing_to_review(tmp_path: Path) -> None:
    proc = run_cli("--dry-run", "--diff", "-", cwd=tmp_path, stdin=b"")
    assert proc.returncode == 0
    assert "nothing to review" in (proc.stdout + proc.stderr).decode().lower()


def test_config_unknown_key_names_it(repo: Path) -> None:
    (repo / "cfg.yml").write_text("exclude: ['docs/**']\nmax_coments: 3\n")
    proc = run_cli("--dry-run", "--config", "cfg.yml", cwd=repo)
    assert proc.returncode == 2
    assert "max_coments" in proc.stderr.decode()
    assert "Traceback" not in proc.stderr.decode()


def test_config_wrong_type_names_it(repo: Path) -> None:
    (repo / "cfg.yml").write_text("max_requests: lots\n")
    proc = run_cli("--dry-run", "--config", "cfg.yml", cwd=repo)
    assert proc.returncode == 2
    assert "max_requests" in proc.stderr.decode()


@pytest.mark.parametrize(
    "text",
    ["include: " + "[" * 20_000 + "]" * 20_000, "max_requests: " + "9" * 5_000],
    ids=["deep", "huge-int"],
)
def test_hostile_config_exits_2_with_one_line(repo: Path, text: str) -> None:
    (repo / "cfg.yml").write_text(text)
    proc = run_cli("--dry-run", "--config", "cfg.yml", cwd=repo)
    err = proc.stderr.decode()
    assert proc.returncode == 2
    assert "cfg.yml" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_checkout_config_exclude_applies(repo: Path) -> None:
    (repo / ".github").mkdir()
    (repo / ".github" / "grok-review.yml").write_text("exclude: ['src/util.py']\n")
    plan = plan_of(run_cli("--dry-run", "--format", "json", cwd=repo))
    assert {"path": "src/util.py", "reason": "excluded"} in plan["files"]["skipped"]


def test_max_requests_cuts_and_lists_budget(tmp_path: Path) -> None:
    # Three directories of large files at a small context: more than one request is needed.
    parts = []
    for d in ("a", "b", "c"):
        body = "".join(
            f"+    result_{i} = handler(request, {i}, timeout={i % 30})\n" for i in range(600)
        )
        parts.append(f"--- /dev/null\n+++ b/{d}/f.py\n@@ -0,0 +1,600 @@\n{body}")
    (tmp_path / "big.diff").write_text("".join(parts))
    args = ("--dry-run", "--format", "json", "--diff", "big.diff", "--context-tokens", "40000")
    full = plan_of(run_cli(*args, cwd=tmp_path))
    assert len(full["chunks"]) >= 2
    (tmp_path / "cfg.yml").write_text("max_requests: 1\n")
    cut = plan_of(run_cli(*args, "--config", "cfg.yml", cwd=tmp_path))
    assert len(cut["chunks"]) == 1
    assert any(s["reason"] == "budget" for s in cut["files"]["skipped"])
    assert cut["changed_lines"]["in_chunks"] < cut["changed_lines"]["total"]


def test_settings_from_env_and_flags(repo: Path) -> None:
    env = {"GROK_REVIEW_MODEL": "grok-4.3", "GROK_REVIEW_CONTEXT_TOKENS": "100000"}
    plan = plan_of(run_cli("--dry-run", "--format", "json", cwd=repo, env=env))
    assert plan["model"] == "grok-4.3"
    assert plan["context_tokens"] == 100_000
    assert plan["input_budget_tokens"] == 100_000 - 10_000 - 5_000
    flagged = plan_of(
        run_cli(
            "--dry-run",
            "--format",
            "json",
            "--model",
            "grok-build-0.1",
            "--context-tokens",
            "50000",
            cwd=repo,
            env=env,
        )
    )
    assert flagged["model"] == "grok-build-0.1"
    assert flagged["input_budget_tokens"] == 50_000 - 10_000 - 2_500


def test_bad_env_setting_exits_2(repo: Path) -> None:
    proc = run_cli("--dry-run", cwd=repo, env={"GROK_REVIEW_CONTEXT_TOKENS": "many"})
    assert proc.returncode == 2
    assert "GROK_REVIEW_CONTEXT_TOKENS: must be a whole number" in proc.stderr.decode()


def test_outside_a_checkout_without_diff_is_a_usage_error(tmp_path: Path) -> None:
    proc = run_cli("--dry-run", cwd=tmp_path)
    assert proc.returncode == 2
    assert "--diff" in proc.stderr.decode()


def test_missing_key_exits_2_and_mentions_dry_run(repo: Path) -> None:
    proc = run_cli(cwd=repo)
    assert proc.returncode == 2
    err = proc.stderr.decode()
    assert "XAI_API_KEY" in err and "--dry-run" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--staged", "--working-tree"), "choose one of: a PR target, --diff, --staged"),
        (("--diff", "x.diff", "--base", "main"), "--base goes with a local branch review only"),
        (("--diff", "x.diff", "--post"), "--post needs a pull request target"),
        (("--diff", "missing.diff"), "--diff missing.diff: no such file"),
        (("--diff", "x.diff", "--format", "markdown"), "--dry-run prints text or json"),
    ],
)
def test_usage_mistakes_exit_2_in_one_line(
    args: tuple[str, ...], message: str, tmp_path: Path, monkeypatch, capsys
) -> None:
    from bot.cli.main import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.diff").write_text("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n")
    assert main(["--dry-run", *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("review-pr: error: ") and message in captured.err
    assert captured.err.count("\n") == 1


def test_a_model_without_a_price_says_what_the_estimate_assumes(repo: Path) -> None:
    text = run_cli("--dry-run", "--model", "my-local-model", cwd=repo)
    assert text.returncode == 0, text.stderr.decode()
    out = text.stdout.decode()
    assert "Price unknown: my-local-model is not in the price table" in out
    assert "GROK_REVIEW_PRICES" in out
    assert (
        plan_of(run_cli("--dry-run", "--model", "x", "--format", "json", cwd=repo))["price_known"]
        is False
    )
    prices = {"GROK_REVIEW_PRICES": '{"x": {"input": 0.1, "cached": 0.0, "output": 0.2}}'}
    priced = run_cli("--dry-run", "--model", "x", "--format", "json", cwd=repo, env=prices)
    assert plan_of(priced)["price_known"] is True
    default = run_cli("--dry-run", cwd=repo)
    assert "Price unknown" not in default.stdout.decode()


def test_the_dry_run_shows_the_upper_bound_with_every_tool_round(repo: Path) -> None:
    plan = plan_of(run_cli("--dry-run", "--format", "json", cwd=repo))
    tools = plan["tools"]
    assert tools["max_rounds"] == 4 and tools["note"] is None
    assert tools["requests"] == 5 * len(plan["chunks"])
    assert tools["estimated_cost_usd"] > 2 * plan["estimated_cost_usd"]
    text = run_cli("--dry-run", cwd=repo).stdout.decode()
    assert "Repository tools: up to 4 rounds of calls per request" in text
    (repo / ".github").mkdir()
    config = repo / ".github" / "grok-review.yml"
    config.write_text("tools: {max_rounds: 2}\nmax_cost_usd: 0.05\n")
    capped = plan_of(run_cli("--dry-run", "--format", "json", cwd=repo))["tools"]
    assert capped["max_rounds"] == 2 and capped["requests"] == 3 * len(plan["chunks"])
    assert plan["estimated_cost_usd"] <= capped["estimated_cost_usd"] <= 0.05


def test_tools_off_or_without_a_repository_are_said_in_the_plan(repo: Path, tmp_path: Path) -> None:
    (repo / ".github").mkdir()
    (repo / ".github" / "grok-review.yml").write_text("tools: {enabled: false}\n")
    off = plan_of(run_cli("--dry-run", "--format", "json", cwd=repo))
    assert off["tools"]["max_rounds"] == 0 and "tools.enabled: false" in off["tools"]["note"]
    assert off["tools"]["estimated_cost_usd"] == off["estimated_cost_usd"]
    diff = git(repo, "diff", "main", "feature").encode()
    (tmp_path / "x.diff").write_bytes(diff)
    alone = plan_of(run_cli("--dry-run", "--format", "json", "--diff", "x.diff", cwd=tmp_path))
    assert alone["tools"]["max_rounds"] == 0 and "no repository" in alone["tools"]["note"]
    (repo / ".github" / "grok-review.yml").write_text("tools: {max_rounds: 0}\n")
    refused = run_cli("--dry-run", cwd=repo)
    assert refused.returncode == 2 and b"tools.max_rounds" in refused.stderr


def test_a_dry_run_never_imports_the_model_sdk(repo: Path) -> None:
    """Planning needs no model client: the openai package (about a quarter of a second to
    import) loads only when a request is about to be sent."""
    code = (
        "import sys\n"
        "from bot.cli.main import main\n"
        "code = main(['--dry-run', '--format', 'json'])\n"
        "print('openai' in sys.modules, code)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=repo, capture_output=True, text=True, timeout=60
    )
    assert proc.stdout.splitlines()[-1] == "False 0", proc.stderr
