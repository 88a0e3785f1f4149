"""The README's workflow snippets start a runner only when the repository's own jobs do."""

from __future__ import annotations

import re

import yaml

from tests import ROOT


def _jobs(text: str) -> dict:
    return dict(yaml.safe_load(text)["jobs"])


def test_readme_snippets_have_the_job_filters_and_concurrency_of_review_yml() -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", readme, flags=re.S)
    snippets = [b for b in blocks if "uses: OWNER/grok-review@v1" in b and "jobs:" in b]
    ours = _jobs((ROOT / ".github" / "workflows" / "review.yml").read_text())
    theirs = {name: job for snippet in snippets for name, job in _jobs(snippet).items()}
    assert set(theirs) == set(ours) == {"review", "answer"}
    for name, job in theirs.items():
        assert job["if"] == ours[name]["if"], name
        assert job["concurrency"] == ours[name]["concurrency"], name
    review, answer = snippets  # the workflow, then its answer job (YAML 1.1 reads `on` as true)
    assert "issue_comment" in yaml.safe_load(review)[True]
    assert "pull_request_review_comment" in yaml.safe_load(answer)[True]
