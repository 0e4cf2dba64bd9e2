"""Hypothesis strategies for case documents: mediawiki-config settings per realm and wikis, with
the values that trip YAML and PHP up (strings YAML 1.1 reads as other types, integer keys, the old
list form, false and null in merges)."""

from __future__ import annotations

from hypothesis import strategies as st

tricky_text = st.sampled_from(["no", "yes", "on", "off", "null", "~", "", "true", "False", "0o17", "0x1F", "1e3",
                               "1_000", "012", ".inf", "2024-01-01", "- a", "a: b", "#x", "'q'", '"d"', "é", "0", "-1"])
scalars = st.one_of(st.none(), st.booleans(), st.booleans(), st.integers(-3, 3), st.sampled_from([0.25, 1.0, 1e-05]), tricky_text)
setting_keys = st.sampled_from(["x", "no", "1", "0", "0o17", "y", "1.5"])
json_values = st.recursive(scalars, lambda children: st.one_of(
    st.lists(children, max_size=3), st.dictionaries(setting_keys, children, max_size=3)), max_leaves=8)
prefixes = st.one_of(st.none(), st.lists(st.sampled_from(["eqiad.", "codfw.", "a/b.", "x+"]), max_size=3))
stream_settings = st.fixed_dictionaries({}, optional={
    "x": json_values, "no": json_values, "1": json_values, "topic_prefixes": prefixes,
    "sample": st.fixed_dictionaries({}, optional={"rate": st.sampled_from([0, 0.5, 1]), "unit": st.sampled_from(["session", "pageview"])}),
    "canary_events_enabled": st.booleans(),
    "producers": st.dictionaries(st.sampled_from(["eventgate", "metrics_platform_client"]),
                                 st.dictionaries(st.sampled_from(["enabled", "provide_values"]), json_values, max_size=2), max_size=2),
})
stream_names = st.one_of(st.sampled_from(["a.b", "no", "/^c\\./"]), st.sampled_from(["a.b", "no", "0o17.x", "on", "/^c\\./", "/\\.b$/i", "c.d", "c.x"]))
stream_maps = st.one_of(
    st.dictionaries(stream_names, stream_settings, max_size=3),
    st.lists(st.builds(lambda name, settings: {**settings, "stream": name}, stream_names.filter(lambda n: not n.startswith("/")), stream_settings), max_size=2),
    st.dictionaries(st.sampled_from(["0", "1", "a.b"]), st.builds(lambda name, settings: {**settings, "stream": name}, st.sampled_from(["a.b", "z.z"]), stream_settings), max_size=2),
)
keys = st.sampled_from(["default", "default", "enwiki", "+enwiki", "+enwiki", "no", "+no", "+no", "wiki", "+wiki"])
beta_keys = st.sampled_from(["default", "enwiki", "+enwiki", "en", "+en", "wiki", "+wiki"])
name_lists = st.lists(st.sampled_from(["a.b", "no", "c.x", "c.d", "missing", "x.b"]), max_size=3)
defaults_maps = st.dictionaries(st.sampled_from(["x", "no", "topic_prefixes", "sample"]), json_values, max_size=2).filter(
    lambda d: "topic_prefixes" not in d or d["topic_prefixes"] is None or isinstance(d["topic_prefixes"], list)
    and all(isinstance(p, str) for p in d["topic_prefixes"])).filter(
    lambda d: "sample" not in d or isinstance(d["sample"], dict) and not ({"rate", "unit"} & set(d["sample"])))
WIKIS = {"enwiki": ["en", "wiki"], "nowiki": ["no", "wiki", "no"], "dewiki": ["de", "wiki"]}


corner_values = st.sampled_from([False, None, 0, "", True, "x", ["p"], {"x": False}, {"x": None}])


@st.composite
def layered_streams(draw):
    """A `default` layer and `+` layers that set the same paths again, with the values the merge
    rules treat specially."""
    default = draw(st.dictionaries(st.sampled_from(["a.b", "no", "/^c\\./"]), stream_settings, min_size=1, max_size=3))
    layers = {"default": default}
    for key in draw(st.lists(st.sampled_from(["+enwiki", "+no", "+wiki"]), min_size=1, max_size=3, unique=True)):
        layer = {}
        for name, settings in default.items():
            paths = list(settings) or ["x"]
            layer[name] = {path: draw(corner_values) for path in draw(st.lists(st.sampled_from(paths), min_size=1, unique=True))
                           if path not in ("topic_prefixes", "sample", "canary_events_enabled", "producers")}
            layer[name].update(draw(st.fixed_dictionaries({}, optional={"canary_events_enabled": st.booleans()})))
        layers[key] = layer
    return layers


@st.composite
def case_documents(draw):
    streams = draw(st.one_of(st.dictionaries(keys, stream_maps, max_size=3), layered_streams()))
    production = {"wgEventStreams": streams,
                  "wgEventStreamsDefaultSettings": draw(st.dictionaries(keys, defaults_maps, max_size=2)),
                  "wgEventLoggingStreamNames": draw(st.dictionaries(keys, name_lists, max_size=2))}
    overrides = {}
    for name, values in (("wgEventStreams", stream_maps), ("wgEventLoggingStreamNames", name_lists),
                         ("wgEventStreamsDefaultSettings", defaults_maps)):
        if draw(st.booleans()):
            overrides[("-" if draw(st.booleans()) else "") + name] = draw(st.dictionaries(beta_keys, values, max_size=2))
    return {"realms": {"production": {"settings": production, "wikis": WIKIS},
                       "beta": {"base": "production", "overrides": overrides, "wikis": {"enwiki": ["en", "wiki"]}}}}


stale_keys = st.sampled_from(["oldwiki", "+oldwiki", "closed", "+closed"])


@st.composite
def stale_case_documents(draw):
    """Case documents with what a long-lived config collects: keys for wikis and tags that the wiki
    list no longer has, and overrides of streams that no layer declares."""
    case = draw(case_documents())
    production = case["realms"]["production"]["settings"]
    for name, values in (("wgEventStreams", stream_maps), ("wgEventLoggingStreamNames", name_lists),
                         ("wgEventStreamsDefaultSettings", defaults_maps)):
        production[name] = {**production[name], **draw(st.dictionaries(stale_keys, values, max_size=2))}
    production["wgEventStreams"]["+de"] = {"gone.stream": draw(stream_settings)}
    return case
