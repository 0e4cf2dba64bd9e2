"""Stream keys that are PCRE patterns: parsed like PHP, matched by PCRE2 itself, bounded."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from conftest import MINIMAL, read_json, run_installed, write_tree
from streamconf import patterns
from streamconf.compiler import compile_config
from streamconf.diagnostics import ConfigError
from streamconf.lint import lint
from streamconf.load import read_sources
from streamconf.validate import validate
from streamconf.render import topics


@pytest.mark.parametrize("key, body, modifiers", [
    ("/^mediawiki\\.job\\..+/", "^mediawiki\\.job\\..+", ""),
    ("/a\\/b/", "a\\/b", ""),
    ("/^x/iu", "^x", "iu"),
])
def test_parse_like_php(key, body, modifiers):
    parsed = patterns.parse(key)
    assert (parsed.body, parsed.modifiers) == (body, modifiers)


@pytest.mark.parametrize("key, message", [
    ("/abc", "no ending delimiter '/' found"),
    ("/abc/q", "unknown modifier 'q'"),
    ("/(abc/", "missing closing parenthesis"),
    ("/a{2,1}/", "numbers out of order"),
])
def test_invalid_patterns(key, message):
    with pytest.raises(patterns.PatternError, match=message):
        patterns.parse(key)


@pytest.mark.parametrize("key, name, found", [
    ("/\\.b$/", "x.b", True),
    ("/job/", "mediawiki.job.x", True),  # unanchored, as preg_match
    ("/^job/", "mediawiki.job.x", False),
    ("/^MEDIAWIKI/i", "mediawiki.x", True),
    ("/job/A", "mediawiki.job", False),
    ("/media/A", "mediawiki.job", True),
    ("/(?<ns>media)wiki/", "mediawiki", True),  # PCRE syntax Python's re lacks
    ("/a++b/", "aaab", True),
])
def test_matching(key, name, found):
    assert patterns.matches(key, name) is found


def test_catastrophic_backtracking_is_bounded():
    # 2^40 ways to split the a's: unbounded, this would not return; the match limit stops it.
    with pytest.raises(patterns.MatchLimitExceeded):
        patterns.matches("/^(a+)+$/", "a" * 40 + "!")


def test_topics_of_patterns():
    assert topics("/^mediawiki\\.job\\..+/", ["eqiad.", "codfw."]) == ["/^(eqiad\\.|codfw\\.)mediawiki\\.job\\..+/"]
    assert topics("/\\.b$/", ["eqiad.", "codfw."]) == ["/(eqiad\\.|codfw\\.)\\.b$/"]
    assert topics("/x/i", ["a/b+"]) == ["/(a\\/b\\+)x/i"]
    assert topics("/x/", None) == ["/x/"]


def test_preg_quote():
    assert patterns.preg_quote("a.b*c?d+e(f)g[h]i{j}k=l!m<n>o|p:q-r#s/t\\u$v^w\0") == \
        "a\\.b\\*c\\?d\\+e\\(f\\)g\\[h\\]i\\{j\\}k\\=l\\!m\\<n\\>o\\|p\\:q\\-r\\#s\\/t\\\\u\\$v\\^w\\000"


def test_runaway_pattern_counts_as_no_match_with_a_warning(repo: Path, run):
    write_tree(repo, {
        "streams/z.yaml": "/^(a+)+$/:\n  schema_title: slow\n/^a/:\n  schema_title: fast\n",
        "eventlogging.yaml": f"- {'a' * 40}!\n",
    })
    result = run("compile", "--root", repo)
    assert result.exit_code == 0, result.output
    assert "warning SC101" in result.output
    assert "exceeded PCRE's match limit" in result.output
    # Like preg_match returning false: the next pattern in order gets the name.
    assert read_json(repo / "build/production/enwiki/eventlogging.json") == {"a" * 40 + "!": {}}


HOSTILE = "/^(a|a)*$/"
HOSTILE_NAMES = [f"{'a' * 28}{index}!" for index in range(200)]  # each exceeds the match limit


def hostile_repo(root: Path, eventlogging: bool) -> Path:
    """The hostile pattern, and 200 names that exceed the match limit: declared as streams, and
    (with `eventlogging`) also EventLogging names that only a pattern could give a config."""
    streams = f"'{HOSTILE}':\n  schema_title: slow\n" + "".join(f"'{name}':\n  schema_title: s\n" for name in HOSTILE_NAMES)
    names = "".join(f"- '{name}x'\n" for name in HOSTILE_NAMES) if eventlogging else "[]\n"
    return write_tree(root, {**MINIMAL, "streams/hostile.yaml": streams, "eventlogging.yaml": names})


def checked(root: Path):
    config, diagnostics = validate(read_sources(root))
    assert config is not None, [d.render() for d in diagnostics]
    return config, lint(config, root)


@pytest.mark.parametrize("eventlogging", [False, True])
def test_a_run_stops_matching_with_a_pattern_that_keeps_exceeding_the_limit(tmp_path: Path, eventlogging: bool):
    config, found = checked(hostile_repo(tmp_path / "repo", eventlogging))
    budget = config.match_budget
    assert len(budget.exceeded[HOSTILE]) == patterns.STRIKES
    assert budget.attempts <= 1 + patterns.STRIKES, "a.b, and three names past the limit; the others are not tried"
    given_up = [d.render() for d in found if d.code == "SC210"]
    assert len(given_up) == 1 and given_up[0].startswith(
        f"streams/hostile.yaml:1:1: warning SC210 at {HOSTILE}: pattern {HOSTILE} exceeded PCRE2's match limit on 3 names "
        f"('{HOSTILE_NAMES[0]}"), given_up
    assert ("SL010 stopped short" in given_up[0]) is eventlogging


def test_compile_is_exact_or_refuses_after_the_run_stops_matching(tmp_path: Path):
    declared = validate(read_sources(hostile_repo(tmp_path / "declared", False)))[0]
    compile_config(declared)  # every name has its own key: no pattern is matched
    assert declared.match_budget.attempts == 0
    config = validate(read_sources(hostile_repo(tmp_path / "names", True)))[0]
    with pytest.raises(ConfigError) as refused:
        compile_config(config)
    assert config.match_budget.attempts == patterns.STRIKES
    assert refused.value.diagnostics[0].render().startswith(
        f"streams/hostile.yaml:1:1: error SC211 at {HOSTILE}: pattern {HOSTILE} exceeded PCRE2's match limit on 3 names")


def test_validate_and_compile_of_hostile_names_finish_with_the_pattern_named(tmp_path: Path):
    root = hostile_repo(tmp_path / "repo", True)
    validated = run_installed("validate", "--root", root)
    assert validated.returncode == 0 and "warning SC210 at /^(a|a)*$/" in validated.stdout + validated.stderr
    compiled = run_installed("compile", "--root", root)
    assert compiled.returncode == 1 and "error SC211 at /^(a|a)*$/" in compiled.stderr, compiled.stderr
    assert "streams/hostile.yaml:1:1" in compiled.stderr and "internal error" not in compiled.stderr
    assert not (root / "build").exists(), "nothing is written"


def test_serve_style_matching_has_no_run_budget():
    """patterns.matches itself keeps no state: serve and other long-lived callers are unchanged."""
    for _ in range(patterns.STRIKES + 1):
        with pytest.raises(patterns.MatchLimitExceeded):
            patterns.matches(HOSTILE, HOSTILE_NAMES[0])
    assert patterns.matches(HOSTILE, "aaa")


PREFIX_PATTERNS = ["/^mediawiki\\.job\\..+/", "/^ab*c/", "/^a?b/", "/^a\\.(x|y)/", "/^abc/i", "/\\.b$/", "/^a-b:c/", "/^x{2}y/"]


@given(st.sampled_from(PREFIX_PATTERNS), st.text(alphabet="abcxy.-:mediawikjob", max_size=16))
@settings(max_examples=500)
def test_a_matching_name_starts_with_the_required_prefix(key, name):
    prefix = patterns.required_prefix(key)
    assert not patterns.matches(key, name) or name.startswith(prefix)
    assert not patterns.matches(key, prefix + name) or (prefix + name).startswith(prefix)


def test_required_prefix():
    assert patterns.required_prefix("/^mediawiki\\.job\\..+/") == "mediawiki.job."
    assert patterns.required_prefix("/^ab*c/") == "a"
    assert patterns.required_prefix("/^abc/i") == ""
    assert patterns.required_prefix("/\\.b$/") == ""
