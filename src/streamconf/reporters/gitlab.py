"""Findings as a GitLab Code Quality report."""

from __future__ import annotations

import hashlib
import json

from ..diagnostics import ERROR, NOTICE, Diagnostic


def gitlab_code_quality(diagnostics: list[Diagnostic]) -> list[dict]:
    """A GitLab Code Quality report: one issue per finding. The fingerprint leaves out the line, so
    an issue keeps its identity when lines move."""
    issues = []
    for d in diagnostics:
        identity = "\0".join((d.code, d.location.file, *d.path, d.message))
        issues.append({
            "type": "issue",
            "check_name": d.code,
            "description": d.message + (f" ({d.hint})" if d.hint else ""),
            "categories": ["Bug Risk"],
            "severity": {ERROR: "major", NOTICE: "info"}.get(d.severity, "minor"),
            "fingerprint": hashlib.sha256(identity.encode("utf-8")).hexdigest(),
            "location": {"path": d.location.file, "lines": {"begin": max(d.location.line, 1)}},
        })
    return issues


def report(diagnostics: list[Diagnostic]) -> str:
    return json.dumps(gitlab_code_quality(diagnostics), indent=1, ensure_ascii=False)
