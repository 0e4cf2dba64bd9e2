"""Rewrite the table of the instrument rules' worked examples in docs/instruments.md from the
rules' docstrings (tests/test_codes.py checks that it is current). Run: .venv/bin/python tools/rule-examples.py"""

from pathlib import Path

from streamconf.reporters.markdown import examples_table, with_examples
from streamconf.workflow import code_docs

DOCUMENT = Path(__file__).resolve().parent.parent / "docs" / "instruments.md"

DOCUMENT.write_text(with_examples(DOCUMENT.read_text("utf-8"), examples_table(code_docs(), "SL1")), "utf-8")
