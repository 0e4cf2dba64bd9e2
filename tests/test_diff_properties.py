"""diff skips wikis that read no changed key. Whatever two configs it is given, a wiki must be
reported exactly when its compiled bundles differ as JSON values (objects are unordered: the same
settings written in another order are not a change)."""

from __future__ import annotations

import copy
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from strategies import case_documents
from streamconf.compiler import compile_config
from streamconf.changes import same
from streamconf.diff import diff_configs
from streamconf.load import read_sources
from streamconf.migrate import import_case
from streamconf.validate import validate


def differing_wikis(before: dict[str, bytes], after: dict[str, bytes]) -> set[tuple[str, str]]:
    def parsed(files: dict[str, bytes], path: str):
        return json.loads(files[path]) if path in files else None
    return {tuple(path.split("/")[:2]) for path in set(before) | set(after)
            if not same(parsed(before, path), parsed(after, path))}


def config_of(case: dict, directory: Path, name: str):
    path = directory / f"{name}.json"
    path.write_text(json.dumps(case))
    import_case(path, directory / name, force=False)
    config, diagnostics = validate(read_sources(directory / name))
    assert config is not None, "\n".join(d.render() for d in diagnostics)
    return config


@given(case_documents(), case_documents())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_a_wiki_is_reported_exactly_when_its_bundles_change(first, second):
    with tempfile.TemporaryDirectory() as directory:
        base, head = config_of(first, Path(directory), "base"), config_of(second, Path(directory), "head")
        differing = differing_wikis(compile_config(base).files, compile_config(head).files)
        reported = {(change.realm, wiki) for change, wikis in diff_configs(base, head).changes.values() for wiki in wikis}
        assert reported == differing


@given(case_documents(), st.data())
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_a_one_key_change_reports_exactly_the_wikis_it_reaches(first, data):
    second = copy.deepcopy(first)
    settings_ = second["realms"]["production"]["settings"]
    candidates = [(name, key) for name, keys in settings_.items() for key in keys]
    if candidates:
        name, key = data.draw(st.sampled_from(candidates))
        del settings_[name][key]
    with tempfile.TemporaryDirectory() as directory:
        base, head = config_of(first, Path(directory), "base"), config_of(second, Path(directory), "head")
        differing = differing_wikis(compile_config(base).files, compile_config(head).files)
        reported = {(change.realm, wiki) for change, wikis in diff_configs(base, head).changes.values() for wiki in wikis}
        assert reported == differing
