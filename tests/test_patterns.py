"""Stream keys that are PCRE patterns: parsed like PHP, matched by PCRE2 itself, bounded."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from conftest import read_json, write_tree
from streamconf import patterns
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
    started = time.perf_counter()
    with pytest.raises(patterns.MatchLimitExceeded):
        patterns.matches("/^(a+)+$/", "a" * 40 + "!")
    assert time.perf_counter() - started < 5


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
