"""Check runs: create, update, and GitHub's schema limits on what a request may carry.

GitHub answers a body that breaks its schema with 422 `{"message": "Invalid request.\\n\\n..."}`;
the reasons below are paraphrased, the limits (50 annotations a request, 65,535 characters of
summary or text, three annotation levels) are GitHub's. Annotations accumulate across updates.
"""

from __future__ import annotations

from typing import Any

from .github_state import ApiError, GitHubState, not_found, now_iso, unprocessable

STATUSES = (None, "queued", "in_progress", "completed")
LEVELS = ("notice", "warning", "failure")
ANNOTATION_FIELDS = ("path", "start_line", "end_line", "annotation_level", "message")


def save_check_run(
    state: GitHubState, full_name: str, payload: dict[str, Any], run_id: int | None = None
) -> dict[str, Any]:
    """Create a check run (run_id None) or update one; returns its JSON."""
    runs = state.repo(full_name).check_runs
    if run_id is not None and run_id not in runs:
        raise not_found()
    _check_payload(payload, creating=run_id is None)
    record = runs[run_id] if run_id is not None else _new_run(state, full_name)
    run: dict[str, Any] = record["json"]
    annotations: list[dict[str, Any]] = record["annotations"]
    for key in ("name", "head_sha", "status", "conclusion", "details_url", "external_id"):
        if key in payload:
            run[key] = payload[key]
    for key in ("started_at", "completed_at"):
        run[key] = payload.get(key, run.get(key))
    if payload.get("conclusion"):  # a conclusion completes the run
        run["status"], run["completed_at"] = "completed", run["completed_at"] or now_iso()
    output = payload.get("output") or {}
    annotations.extend(output.get("annotations") or [])
    run["output"].update({k: output[k] for k in ("title", "summary", "text") if k in output})
    run["output"]["annotations_count"] = len(annotations)
    return run


def _new_run(state: GitHubState, full_name: str) -> dict[str, Any]:
    rid = state.next_id()
    url = f"{state.base_url}/repos/{full_name}/check-runs/{rid}"
    output = {"title": None, "summary": None, "text": None, "annotations_url": url + "/annotations"}
    run = {
        "id": rid,
        "node_id": f"CR_{rid}",
        "url": url,
        "html_url": f"https://github.com/{full_name}/runs/{rid}",
        "status": "queued",
        "conclusion": None,
        "started_at": now_iso(),
        "completed_at": None,
        "output": output,
        "app": {"id": 1, "slug": state.bot_login.removesuffix("[bot]"), "name": state.bot_login},
        "pull_requests": [],
    }
    record = {"json": run, "annotations": []}
    state.repo(full_name).check_runs[rid] = record
    return record


def _invalid(reason: str) -> ApiError:
    return unprocessable(message=f"Invalid request.\n\n{reason}")


def _check_payload(payload: dict[str, Any], *, creating: bool) -> None:
    if creating and not (payload.get("name") and payload.get("head_sha")):
        raise _invalid('"name" and "head_sha" are required.')
    if payload.get("status") not in STATUSES:
        raise _invalid(f"{payload['status']!r} is not a valid status.")
    if payload.get("status") == "completed" and not payload.get("conclusion"):
        raise _invalid('"conclusion" is required when status is completed.')
    output = payload.get("output") or {}
    if output and not (output.get("title") and output.get("summary")):
        raise _invalid('"title" and "summary" are required in output.')
    if max(len(output.get("summary") or ""), len(output.get("text") or "")) > 65535:
        raise _invalid("summary and text are limited to 65535 characters.")
    annotations = output.get("annotations") or []
    if len(annotations) > 50:
        raise _invalid("Only 50 annotations are allowed per request.")
    for note in annotations:
        if any(note.get(k) in (None, "") for k in ANNOTATION_FIELDS):
            raise _invalid(f"Annotations need {', '.join(ANNOTATION_FIELDS)}.")
        if note["annotation_level"] not in LEVELS:
            raise _invalid("annotation_level must be notice, warning or failure.")
        if len(note.get("title") or "") > 255:
            raise _invalid("Annotation title is limited to 255 characters.")
