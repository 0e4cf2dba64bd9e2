"""The table of codes: every code the program reports is in it, `streamconf rules` lists it, and
docs/rules.md is what `streamconf rules --format markdown` prints."""

from __future__ import annotations

import json
import re

from conftest import PROJECT, run_installed
from streamconf.codes import CODES
from streamconf.lint import RULES

SOURCE = PROJECT / "src" / "streamconf"


def test_every_code_in_the_source_is_in_the_table():
    used = {code for path in SOURCE.rglob("*.py") for code in re.findall(r"\"(S[CL]\d{3})\"", path.read_text("utf-8"))}
    assert used <= set(CODES)
    assert used >= set(CODES) - set(RULES), "a structural code in the table that nothing reports"


def test_every_lint_rule_has_its_code_and_documentation():
    assert set(RULES) == {code for code in CODES if code.startswith("SL")}
    for rule in RULES.values():
        assert rule.doc and rule.name == CODES[rule.id].name


def test_every_lint_rule_has_its_tests_in_the_lint_family_tests():
    """Structural codes are produced one by one in test_structural_codes.py; each rule has a case
    that fires in tests/lint/test_<family>.py, the module that mirrors the rule's module."""
    for rule in RULES.values():
        family = rule.check.__module__.rsplit(".", 1)[1]
        tests = PROJECT / "tests" / "lint" / f"test_{family}.py"
        assert f'"{rule.id}"' in tests.read_text("utf-8"), f"{rule.id} has no case in {tests.name}"


def test_rules_lists_every_code(run):
    lines = run("rules").output.splitlines()
    assert [line.split()[0] for line in lines] == list(CODES)
    assert lines[0].split()[:3] == ["SC001", "error", "unreadable-file"]
    records = json.loads(run("rules", "--format", "json").output)
    assert [record["code"] for record in records] == list(CODES)
    assert all(record["doc"] == RULES[record["code"]].doc for record in records if record["code"] in RULES)


def test_docs_instruments_md_has_the_rules_examples_from_their_docstrings():
    from streamconf.reporters.markdown import examples_table, with_examples
    from streamconf.workflow import code_docs

    document = (PROJECT / "docs" / "instruments.md").read_text("utf-8")
    table = examples_table(code_docs(), "SL1")
    assert with_examples(document, table) == document, \
        "docs/instruments.md's rule examples are stale: run `.venv/bin/python tools/rule-examples.py`"
    assert table.count("\n| SL1") == 15


def test_each_instrument_rule_example_shows_what_the_rule_reports():
    """The finding written in each docstring's example is part of what the rule reports for it
    (tests/lint/test_instruments.py's worked examples)."""
    from lint.test_instruments import CASES

    for code, case in CASES.items():
        example = next(block for block in re.findall(r"```yaml\n(.*?)```", RULES[code].doc, re.DOTALL) if f"# {code}:" in block)
        shown = example.split(f"# {code}: ")[1].split("\n")[0]
        assert shown in case[2], (code, shown)


def test_docs_rules_md_is_generated_from_the_table():
    printed = run_installed("rules", "--format", "markdown")
    assert printed.returncode == 0, printed.stderr
    assert "## SL003 ineffective-false (warning)" in printed.stdout
    assert (PROJECT / "docs" / "rules.md").read_text("utf-8") == printed.stdout, \
        "docs/rules.md is stale: run `streamconf rules --format markdown > docs/rules.md`"
