"""Private keys: PEM blocks redacted line by line, one finding per key, marker-only code left."""

from __future__ import annotations

from bot.diff.parse import parse_diff
from bot.review.findings import dedupe, fingerprint
from bot.secrets.redact import redact_files
from tests.secrets.helpers import (
    _all_text,
    _assert_gone,
    _diff,
    _files,
    _pem_lines,
)


def test_multi_line_pem_block_is_redacted_line_by_line_with_one_finding() -> None:
    pem = _pem_lines()
    added = ["KEY = '''", *pem, "'''", "print('loaded')"]
    files, findings = redact_files(_files(_diff("app/keys.py", added, context=["import os"])))
    texts = [ln.text for ln in files[0].hunks[0].lines]
    assert texts[0] == "import os"
    assert texts[1] == "KEY = '''"
    block = texts[2 : 2 + len(pem)]
    assert all(t == "[REDACTED:private-key]" for t in block)
    assert texts[-2:] == ["'''", "print('loaded')"]
    (finding,) = findings  # one finding per key, not one per line of it
    assert finding.line == 3  # the BEGIN line in the new file
    assert finding.title == "Secret committed: private-key"
    for body_line in pem[1:-1]:
        _assert_gone(body_line, _all_text(files, findings))


def test_pem_block_with_headers_inside_yaml_and_orphan_end() -> None:
    pem = _pem_lines("EC PRIVATE")
    yaml_lines = ["tls:", "  key: |", *(f"    {p}" for p in pem), "  port: 443"]
    files, findings = redact_files(_files(_diff("deploy/values.yaml", yaml_lines)))
    texts = [ln.text for ln in files[0].hunks[0].lines]
    assert texts[2:-1] == ["    [REDACTED:private-key]"] * len(pem)
    assert texts[-1] == "  port: 443"
    assert len(findings) == 1
    # A hunk that starts inside a key shows its END but not its BEGIN.
    tail = pem[3:]
    files, findings = redact_files(_files(_diff("certs/server.key", ["x"], context=tail)))
    texts = [ln.text for ln in files[0].hunks[0].lines]
    assert texts[: len(tail)] == ["[REDACTED:private-key]"] * len(tail)
    assert findings == ()  # the key was already there; only added lines are reported
    for body_line in tail[:-1]:
        _assert_gone(body_line, _all_text(files, findings))


def test_replaced_key_redacts_removed_and_added_blocks() -> None:
    old, new = _pem_lines("OPENSSH PRIVATE"), _pem_lines("RSA PRIVATE")
    body = "".join(f"-{o}\n+{n}\n" for o, n in zip(old, new, strict=True))
    n = len(old)
    diff = f"--- a/id_rsa\n+++ b/id_rsa\n@@ -1,{n} +1,{n} @@\n{body}"
    files, findings = redact_files(parse_diff(diff))
    assert all(ln.text == "[REDACTED:private-key]" for ln in files[0].hunks[0].lines)
    assert [f.line for f in findings] == [1]
    for line in old[1:-1] + new[1:-1]:
        _assert_gone(line, _all_text(files, findings))


def test_single_line_pem_in_json_is_redacted() -> None:
    pem = "\\n".join(_pem_lines("PRIVATE"))
    line = f'  "private_key": "{pem}\\n",'
    files, findings = redact_files(_files(_diff("sa.json", [line])))
    text = files[0].hunks[0].lines[0].text
    assert text == '  "private_key": "[REDACTED:private-key]\\n",'
    assert [f.title for f in findings] == ["Secret committed: private-key"]


def test_code_that_only_names_the_pem_marker_is_not_a_key() -> None:
    lines = [
        'HEADER = "-----BEGIN RSA PRIVATE KEY-----"',
        "",
        "def is_key(text):",
        "    return text.startswith(HEADER)",
    ]
    original = _files(_diff("app/pem.py", lines))
    files, findings = redact_files(original)
    assert (files, findings) == (original, ())


def test_two_keys_in_one_file_are_two_findings_with_their_own_fingerprints() -> None:
    # Both key blocks redact to the same placeholder line; without telling them apart the
    # second would share the first's fingerprint and be dropped as a repeat.
    pem = _pem_lines()
    other = _pem_lines("EC PRIVATE")
    lines = ["KEYS = '''", *pem, "'''", "BACKUP = '''", *other, "'''"]
    files, findings = redact_files(_files(_diff("deploy/keys.py", lines)))
    assert [f.line for f in findings] == [2, len(pem) + 4]
    prints = {fingerprint(f, files) for f in findings}
    assert len(prints) == 2
    kept = dedupe([f.model_copy(update={"fingerprint": fingerprint(f, files)}) for f in findings])
    assert len(kept) == 2
    assert "second like it" in findings[1].title
