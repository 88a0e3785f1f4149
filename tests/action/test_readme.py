"""The README's workflow snippet starts a runner only when the repository's own does."""

from __future__ import annotations

import re

import yaml

from tests import ROOT


def _job(text: str) -> dict:
    data = yaml.safe_load(text)
    [job] = data["jobs"].values()
    return job


def test_readme_snippet_has_the_job_filter_and_concurrency_of_review_yml() -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", readme, flags=re.S)
    [snippet] = [b for b in blocks if "uses: OWNER/grok-review@v1" in b and "jobs:" in b]
    ours = _job((ROOT / ".github" / "workflows" / "review.yml").read_text())
    theirs = _job(snippet)
    assert theirs["if"] == ours["if"]
    assert theirs["concurrency"] == ours["concurrency"]
    assert "issue_comment" in yaml.safe_load(snippet)[True]  # YAML 1.1 reads `on` as true
