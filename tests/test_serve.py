"""`streamconf serve` as a real server: the installed program on a free port, two worker processes,
answering over HTTP from a `publish` destination built from this repository's own config and from
every golden case."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import threading
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

from conftest import GOLDEN, MINIMAL, PROJECT, copy_project_config, php_equal, read_json, run_installed, write_tree
from serving import running_server
from streamconf.serve import query, release
from streamconf.serve.run import default_workers

API = "/w/api.php?action=streamconfigs&format=json"


def compile_and_publish(root: Path, build: Path, dest: Path) -> None:
    done = run_installed("compile", "--root", root, "--out", build)
    assert done.returncode == 0, done.stderr
    done = run_installed("publish", build, dest, "--allow-dirty")
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> tuple[Path, Path]:
    """(build, publish destination) of the repository's own config."""
    where = tmp_path_factory.mktemp("serve")
    compile_and_publish(PROJECT, where / "build", where / "dest")
    return where / "build", where / "dest"


@pytest.fixture(scope="module")
def server(published):
    with running_server(published[1], "--workers", "2", "--poll", "0.2") as (base, _):
        with httpx.Client(base_url=base, timeout=10) as client:
            yield client


@pytest.fixture(scope="module")
def loaded(published) -> release.Release:
    return release.load(published[1])


def wikis_of(build: Path) -> list[tuple[str, str]]:
    return [(realm, wiki) for realm, wikis in read_json(build / "manifest.json")["realms"].items() for wiki in wikis]


# -- the whole bundle -----------------------------------------------------------------------------

def test_without_parameters_every_wiki_gets_its_compiled_bundle_byte_for_byte(server, published):
    build = published[0]
    for realm, wiki in wikis_of(build):
        answer = server.get(f"/{realm}/{wiki}{API}")
        assert answer.status_code == 200
        assert answer.content == (build / realm / wiki / "streamconfigs.json").read_bytes(), (realm, wiki)
        assert answer.headers["content-type"] == "application/json; charset=utf-8"
        assert answer.headers["cache-control"] == "public, max-age=600, s-maxage=600"


def test_the_host_header_chooses_the_wiki(server, published):
    enwiki = (published[0] / "production/enwiki/streamconfigs.json").read_bytes()
    for host in ("en.wikipedia.org", "en.m.wikipedia.org", "EN.WIKIPEDIA.ORG:443"):
        assert server.get(API, headers={"Host": host}).content == enwiki
    commons = server.get(API, headers={"Host": "commons.wikimedia.org"}).content
    assert commons == (published[0] / "production/commonswiki/streamconfigs.json").read_bytes()


def test_one_server_answers_every_realm_by_host_with_beta_on_the_beta_cluster_s_names(server, published):
    build = published[0]
    hosts = {"en.wikipedia.org": ("production", "enwiki"), "en.wikipedia.beta.wmcloud.org": ("beta", "enwiki"),
             "en.m.wikipedia.beta.wmcloud.org": ("beta", "enwiki"), "commons.wikimedia.org": ("production", "commonswiki"),
             "commons.wikimedia.beta.wmcloud.org": ("beta", "commonswiki"),
             "wikidata.beta.wmcloud.org": ("beta", "wikidatawiki"), "m.wikidata.beta.wmcloud.org": ("beta", "wikidatawiki")}
    bundle = {host: (build / realm / wiki / "streamconfigs.json").read_bytes() for host, (realm, wiki) in hosts.items()}
    assert bundle["en.wikipedia.org"] != bundle["en.wikipedia.beta.wmcloud.org"]
    for host in hosts:
        assert server.get(API, headers={"Host": host}).content == bundle[host], host


def test_two_realms_that_claim_one_host_are_refused_unless_one_realm_answers_by_host(tmp_path: Path):
    root = write_tree(tmp_path / "repo", {**MINIMAL, "realms/staging.yaml": "base: production\nwikis:\n  enwiki: [en, wiki]\n",
                                          "overrides/staging/x.yaml": "+enwiki:\n  streams:\n    a.b: {sample: {rate: 0.5}}\n"})
    assert run_installed("compile", "--root", root, "--out", tmp_path / "build").returncode == 0
    done = run_installed("serve", tmp_path / "build")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert ("nothing to serve: realms 'production' (enwiki) and 'staging' (enwiki) both answer for the host name "
            "en.m.wikipedia.org: give one of the wikis its own host names with `domains:`") in done.stderr
    staging = (tmp_path / "build/staging/enwiki/streamconfigs.json").read_bytes()
    assert staging != (tmp_path / "build/production/enwiki/streamconfigs.json").read_bytes()
    with running_server(tmp_path / "build", "--host-realm", "staging") as (base, _):
        assert httpx.get(f"{base}{API}", headers={"Host": "en.wikipedia.org"}).content == staging


def test_an_unknown_host_or_wiki_is_a_clean_error(server):
    for answer in (server.get(API, headers={"Host": "nowhere.example"}),
                   server.get(f"/production/nowiki-at-all{API}"),
                   server.get(f"/production/../../etc/passwd{API}"),
                   server.get(f"/%2e%2e/enwiki{API}"),
                   server.get(f"/production/enwiki/extra/w/api.php?action=streamconfigs")):
        assert answer.status_code == 404
        assert answer.json()["error"]["code"] in ("unknownhost", "unknownwiki")
        assert answer.headers["mediawiki-api-error"] == answer.json()["error"]["code"]


# -- streams= and constraints=, against the query core on the same release -----------------------

def expected_answer(loaded: release.Release, realm: str, wiki: str, names: list[str] | None, constraints: str | None) -> dict:
    body = loaded.wikis[realm, wiki]
    selected = query.select(body.streams, names, query.parse_constraints(constraints))
    return {"streams": {name: stream.config_for(name) for name, stream in selected}}


def test_streams_select_by_name_and_by_pattern_in_the_requested_order(server, loaded):
    names = ["mediawiki.job.refreshLinks", "missing.stream", "mediawiki.web_ui_actions"]
    answer = server.get(f"/production/enwiki{API}&streams={'|'.join(names)}").json()
    assert list(answer["streams"]) == ["mediawiki.job.refreshLinks", "mediawiki.web_ui_actions"]
    job = answer["streams"]["mediawiki.job.refreshLinks"]
    assert job["stream"] == "/^mediawiki\\.job\\..+/"
    assert job["topics"] == [prefix + "mediawiki.job.refreshLinks" for prefix in job["topic_prefixes"]]
    assert answer == expected_answer(loaded, "production", "enwiki", names, None)


def test_constraints_select_the_configs_of_an_intake_service(server, loaded, published):
    answer = server.get(f"/production/enwiki{API}&constraints=destination_event_service=eventgate-main").json()
    bundle = read_json(published[0] / "production/enwiki/streamconfigs.json")["streams"]
    assert list(answer["streams"]) == [key for key, config in bundle.items()
                                       if config.get("destination_event_service") == "eventgate-main"]
    assert answer["streams"]


def test_a_list_constraint_ends_the_comparison_over_http(server, loaded):
    trap = "topic_prefixes[0]=eqiad.|destination_event_service=nowhere"
    answer = server.get(f"/production/enwiki{API}&constraints={quote(trap)}").json()
    assert answer["streams"] and answer == expected_answer(loaded, "production", "enwiki", None, trap)


def test_empty_stream_configs_and_empty_answers_are_objects(server):
    assert server.get(f"/production/enwiki{API}&streams=").content == b'{"streams":{}}\n'
    assert server.get(f"/production/enwiki{API}&streams=nothing.matches").json() == {"streams": {}}


def test_all_settings_format_and_formatversion_2_are_accepted(server):
    plain = server.get(f"/production/enwiki{API}&streams=mediawiki.web_ui_actions").content
    for extra in ("&all_settings=1", "&all_settings", "&formatversion=2", "&formatversion=latest", "&format=xml"):
        assert server.get(f"/production/enwiki{API}&streams=mediawiki.web_ui_actions{extra}").content == plain


names = st.lists(st.sampled_from(["mediawiki.web_ui_actions", "mediawiki.job.x", "mediawiki.job.refreshLinks", "x.b", "",
                                  "0", "eventlogging_NavigationTiming", "mediawiki.page_change.v1", "nope"]), max_size=4)
constraint_elements = st.sampled_from([
    "destination_event_service=eventgate-main", "destination_event_service=eventgate-analytics-external",
    "canary_events_enabled=1", "canary_events_enabled=", "sample[rate]=1", "sample[unit]=pageview",
    "topic_prefixes[0]=eqiad.", "topic_prefixes[]=codfw.", "stream=mediawiki.job.x", "stream=mediawiki.web_ui_actions",
    "producers[metrics_platform_client][events][0]=web.ui.", "consumers[analytics_hadoop_ingestion][enabled]=1",
    "schema_title=mediawiki/job", "x=1"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(["enwiki", "dewiki", "officewiki", "testwiki"]), st.none() | names,
       st.none() | st.lists(constraint_elements, max_size=3).map("|".join))
def test_any_query_is_answered_as_the_query_core_computes(server, loaded, wiki, requested, constraints):
    params = {"action": "streamconfigs"}
    if requested is not None:
        params["streams"] = "|".join(requested)
    if constraints is not None:
        params["constraints"] = constraints
    answer = server.get(f"/production/{wiki}/w/api.php", params=params).json()
    expected_names = None if requested is None else query.multi_value("streams", "|".join(requested))
    try:
        expected = expected_answer(loaded, "production", wiki, expected_names, constraints)
    except query.PhpTypeError:
        assert answer["error"]["code"] == "internal_api_error_TypeError"
        return
    assert php_equal(answer, expected)


# -- errors as MediaWiki gives them ---------------------------------------------------------------

@pytest.mark.parametrize("query_string, code", [
    ("action=foo", "badvalue"),
    ("", "badvalue"),
    ("action=streamconfigs&formatversion=1", "badvalue"),
    ("action=streamconfigs&format=yaml", "badvalue"),
    ("action=streamconfigs&streams=" + "|".join(f"s{i}" for i in range(51)), "toomanyvalues"),
    ("action=streamconfigs&streams=" + "|".join(f"s{i}" for i in range(10_000))[:8000], "toomanyvalues"),
    ("action=streamconfigs&streams=%FF%FE", "badutf8"),
    ("action=streamconfigs&constraints=a%01=b", "badutf8"),
])
def test_errors_are_mediawiki_api_errors(server, query_string, code):
    answer = server.get(f"/production/enwiki/w/api.php?{query_string}")
    assert answer.status_code == 200
    assert answer.json()["error"]["code"] == code and answer.json()["error"]["info"]
    assert answer.headers["mediawiki-api-error"] == code
    assert answer.headers["cache-control"] == "private, must-revalidate, max-age=0"


def test_unknown_action_says_which_value():
    error = json.loads(b'{"error":{"code":"badvalue","info":"Unrecognized value for parameter \\"action\\": foo."}}')
    assert error["error"]["info"] == 'Unrecognized value for parameter "action": foo.'


def test_an_array_stream_constraint_on_a_pattern_is_phps_type_error(server):
    answer = server.get(f"/production/enwiki{API}&constraints=stream=a|stream=b")
    assert answer.json()["error"]["code"] == "internal_api_error_TypeError"


# -- hostile requests ------------------------------------------------------------------------------

def raw_request(base: str, target: bytes, timeout: float = 10) -> tuple[int, bytes]:
    """(status, whole response) of a request line no HTTP client library would send."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as connection:
        connection.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: en.wikipedia.org\r\nConnection: close\r\n\r\n")
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    status = int(received.split(b" ", 2)[1]) if received.startswith(b"HTTP/1.1 ") else 0
    return status, received


API_BYTES = b"/production/enwiki/w/api.php?action=streamconfigs&"
DEEP = b"a" + b"[b]" * 2400 + b"=1"


@pytest.mark.parametrize("target, status, answer", [
    (API_BYTES + b"streams=" + b"a" * 1_000_000, 400, b"Invalid HTTP request received."),  # refused by the parser
    (API_BYTES + b"streams=" + b"|".join([b"a"] * 10_000), 414, b'"code":"toolong"'),
    (API_BYTES + b"streams=" + b"|".join([b"a"] * 4000), 200, b'"code":"toomanyvalues"'),
    (API_BYTES + b"constraints=" + DEEP, 200, b'{"streams":{}}'),  # 2,400 levels: no stream has `a`
    (API_BYTES + b"constraints=" + DEEP[:4000] + b"|" + DEEP[:4000], 200, b'{"streams":{}}'),  # merged, iteratively
    (API_BYTES + b"constraints=" + b"[" * 8000, 200, b'{"streams":{}}'),
    (API_BYTES + b"streams=%C0%AF%ED%A0%80", 200, b'"code":"badutf8"'),  # overlong and surrogate UTF-8
    (API_BYTES + b"streams=\xff\xfe", 400, b"Invalid HTTP request received."),  # raw bytes that are not UTF-8
    (b"/..%2F..%2Fetc%2Fpasswd/enwiki/w/api.php?action=streamconfigs", 404, b'"code":"unknownwiki"'),
    (b"/production/%2e%2e%2f%2e%2e%2fmanifest.json/w/api.php", 404, b'"code":"unknownwiki"'),
    (b"/../../manifest.json", 404, b'"code":"notfound"'),
], ids=["huge", "10000-streams", "4000-streams", "deep", "deep-merged", "brackets", "bad-utf8", "raw-bytes",
        "traversal", "traversal-in-wiki", "traversal-path"])
def test_hostile_requests_get_a_clean_error(server, target, status, answer):
    got, received = raw_request(str(server.base_url).rstrip("/"), target)
    assert got == status and answer in received.split(b"\r\n\r\n", 1)[1], received[:300]
    assert b"Traceback" not in received
    assert server.get("/healthz").status_code == 200


CATASTROPHIC = {**MINIMAL, "streams/slow.yaml": """
    /^(a|a)*$/:
      schema_title: analytics/link_hover
      destination_event_service: eventgate-main
    """}


@pytest.fixture(scope="module")
def catastrophic_build(tmp_path_factory) -> Path:
    """A build with a pattern that backtracks catastrophically (validate warns SL008)."""
    where = tmp_path_factory.mktemp("catastrophic")
    root = write_tree(where / "repo", CATASTROPHIC)
    done = run_installed("compile", "--root", root, "--out", where / "build")
    assert done.returncode == 0, done.stderr
    return where / "build"


HOSTILE_NAMES = "|".join("a" * 28 + f"x{i}" for i in range(50))  # each one runs into PCRE2's match limit


def test_names_that_make_a_pattern_backtrack_get_a_clean_error_within_the_request_s_budget(catastrophic_build):
    with running_server(catastrophic_build) as (base, process):
        assert f"with {default_workers()} worker(s)" in process.stderr.readline().decode()
        answer = httpx.get(f"{base}/production/enwiki/w/api.php",
                           params={"action": "streamconfigs", "streams": HOSTILE_NAMES}, timeout=30)
        error = answer.json()["error"]
        assert error["code"] == "matchbudget" and error["budget"] == query.MATCH_BUDGET_SECONDS
        assert answer.status_code == 200 and answer.headers["mediawiki-api-error"] == "matchbudget"
        assert answer.headers["cache-control"] == "private, must-revalidate, max-age=0"
        stream = httpx.get(f"{base}/production/enwiki/w/api.php",
                           params={"action": "streamconfigs", "constraints": "stream=aaaa"}).json()
        assert list(stream["streams"]) == ["/^(a|a)*$/"]  # a name the pattern decides quickly is answered


def test_workers_default_to_one_per_cpu_the_server_may_use_at_most_four(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(16)))
    assert default_workers() == 4
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    assert default_workers() == 2


def test_only_get_and_head_are_answered(server):
    assert server.post(f"/production/enwiki{API}").status_code == 405
    head = server.head(f"/production/enwiki{API}")
    assert head.status_code == 200 and head.content == b"" and int(head.headers["content-length"]) > 0


# -- caching ---------------------------------------------------------------------------------------

def test_etag_and_not_modified(server):
    first = server.get(f"/production/enwiki{API}&streams=mediawiki.web_ui_actions")
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')
    again = server.get(f"/production/enwiki{API}&streams=mediawiki.web_ui_actions", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert server.get(f"/production/enwiki{API}&streams=mediawiki.job.x").headers["etag"] != etag
    assert server.get(f"/production/enwiki{API}", headers={"If-None-Match": etag}).status_code == 200


def spellings(draw, names: list[str], constraints: list[str]) -> bytes:
    """One spelling of `streams=NAMES&constraints=CONSTRAINTS`: parameters in any order, any
    character percent-encoded, names repeated, parameters that change nothing added, and a
    parameter given twice (the last one counts)."""
    def spell(text: str) -> str:
        return "".join(quote(char, safe="") if draw(st.booleans()) or char in "&=+%#" else char for char in text)

    repeated = names + draw(st.lists(st.sampled_from(names), max_size=2)) if names else names
    parts = [f"action={spell('streamconfigs')}", f"streams={spell('|'.join(repeated))}"]
    if constraints:
        parts.append(f"constraints={spell('|'.join(constraints))}")
    parts += draw(st.lists(st.sampled_from(["format=json", "formatversion=2", "all_settings=1", "utf8=1"]),
                           max_size=3, unique=True))
    parts = draw(st.permutations(parts))
    if draw(st.booleans()):
        parts = ["streams=overridden", *parts]
    return "&".join(parts).encode()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data(), st.lists(st.sampled_from(["mediawiki.web_ui_actions", "mediawiki.job.x", "nope", "a b", "é"]),
                           min_size=1, max_size=3, unique=True),
       st.lists(constraint_elements, max_size=2, unique=True))
def test_every_spelling_of_a_query_gets_the_same_bytes_from_one_cache_entry(published, data, names, constraints):
    from streamconf.serve.app import Service

    service = Service(published[1])

    def ask(raw: bytes):
        scope = {"method": "GET", "path": "/production/enwiki/w/api.php", "query_string": raw, "headers": []}
        return service.route(service.release, scope)[1]

    first = ask(spellings(data.draw, names, constraints))
    second = ask(spellings(data.draw, names, constraints))
    assert first.status == second.status == 200 and first.body == second.body
    assert first.headers == second.headers  # the ETag too
    failed = (b"mediawiki-api-error", b"internal_api_error_TypeError") in first.headers  # two `stream` values
    assert len(service.answers.by_question) == (0 if failed else 1)  # errors are not kept


# -- health and metrics ----------------------------------------------------------------------------

def samples(metrics: str) -> dict[tuple[str, tuple], float]:
    """(name, labels) -> value of a Prometheus text exposition."""
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(metrics) for sample in family.samples}


def test_healthz_and_metrics(server, loaded):
    health = server.get("/healthz")
    assert health.text == "ok\n" and health.headers["x-streamconf-release"] == loaded.name
    scraped = samples(server.get("/metrics").text)
    assert scraped["streamconf_requests_total", (("route", "healthz"), ("status", "200"))] >= 1
    assert scraped["streamconf_request_duration_seconds_bucket", (("le", "+Inf"),)] >= 1


def wait_for_workers(base: str, count: int) -> None:
    """Until `count` workers answer from a release: the server answers once its first worker is up,
    and a busy machine may start the second one seconds later."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        scraped = samples(httpx.get(f"{base}/metrics").text)
        if any(name == "streamconf_release_info" and value == count for (name, _), value in scraped.items()):
            return
        time.sleep(0.1)
    raise AssertionError(f"{count} workers did not start within 60 s")


def test_metrics_are_the_sums_over_every_worker_so_counters_never_go_back(published):
    """Each scrape is answered by one of the workers, and reports what all of them counted."""
    requests = ("streamconf_requests_total", (("route", "healthz"), ("status", "200")))
    with running_server(published[1], "--workers", "2") as (base, _):
        wait_for_workers(base, 2)
        before = samples(httpx.get(f"{base}/metrics").text)[requests]  # the start-up checks
        names = {httpx.get(f"{base}/healthz").headers["x-streamconf-release"] for _ in range(20)}  # new connections
        scrapes = [samples(httpx.get(f"{base}/metrics").text) for _ in range(10)]
    assert [scrape[requests] for scrape in scrapes] == [before + 20] * 10
    name, = names
    assert all(scrape["streamconf_release_info", (("release", name),)] == 2 for scrape in scrapes)  # two workers
    assert all(scrape["streamconf_request_duration_seconds_count", ()] >= 20 for scrape in scrapes)


# -- golden cases ----------------------------------------------------------------------------------

@pytest.mark.parametrize("case", sorted(GOLDEN.glob("*.case.json")), ids=lambda p: p.name.split(".")[0])
def test_golden_cases_served(case: Path, tmp_path: Path):
    """MediaWiki's own answers: every wiki's body, and each EventLogging name asked for by `streams=`."""
    root = tmp_path / "repo"
    assert run_installed("import", case, "--root", root).returncode == 0
    assert run_installed("compile", "--root", root, "--out", tmp_path / "build").returncode == 0
    expected = read_json(GOLDEN / case.name.replace(".case.", ".expected."))["expected"]
    with running_server(tmp_path / "build") as (base, _):
        for realm, wikis in expected.items():
            for wiki, bundles in wikis.items():
                answer = httpx.get(f"{base}/{realm}/{wiki}{API}").json()
                assert php_equal(answer, bundles["streamconfigs"]), (realm, wiki)
                wanted = list(bundles["eventlogging"])
                if not wanted:
                    continue
                answer = httpx.get(f"{base}/{realm}/{wiki}/w/api.php",
                                   params={"action": "streamconfigs", "streams": "|".join(wanted)}).json()["streams"]
                for name, subset in bundles["eventlogging"].items():
                    assert php_equal({k: v for k, v in answer[name].items() if k in ("sample", "producers")}, subset)
                    if answer[name]["stream"] != name and answer[name].get("topic_prefixes") is not None:
                        assert answer[name]["topics"] == [p + name for p in answer[name]["topic_prefixes"]], name


# -- a release switch under load -------------------------------------------------------------------

def test_a_publish_switches_releases_under_load_without_a_failed_or_mixed_response(tmp_path: Path):
    """Clients hammer the server while `publish` switches `current` back and forth; every answer is
    200 and is, byte for byte, the bundle of the release its header names. A release that does not
    verify is never served."""
    changed = copy_project_config(tmp_path / "changed")
    defaults = changed / "stream-defaults.yaml"
    defaults.write_text(defaults.read_text() + "\nchanged_for_the_test: true\n")
    dest = tmp_path / "dest"
    compile_and_publish(PROJECT, tmp_path / "one", dest)
    assert run_installed("compile", "--root", changed, "--out", tmp_path / "two").returncode == 0
    body_of = {build: (tmp_path / build / "production/enwiki/streamconfigs.json").read_bytes() for build in ("one", "two")}
    assert body_of["one"] != body_of["two"]
    build_of_release = {current_release(dest): "one"}
    answers: list[tuple[int, str, bytes]] = []
    stop = threading.Event()
    with running_server(dest, "--workers", "2", "--poll", "0.05") as (base, _):
        def client() -> None:
            with httpx.Client(base_url=base, timeout=10) as http:
                while not stop.is_set():
                    answer = http.get(f"/production/enwiki{API}")
                    answers.append((answer.status_code, answer.headers.get("x-streamconf-release", ""), answer.content))
        threads = [threading.Thread(target=client) for _ in range(4)]
        for thread in threads:
            thread.start()
        try:
            for step in range(6):
                build = "two" if step % 2 == 0 else "one"
                done = run_installed("publish", tmp_path / build, dest, "--allow-dirty", "--keep", "10")
                assert done.returncode == 0, done.stderr
                build_of_release[current_release(dest)] = build
                wait_for_release(base, current_release(dest))
            served = current_release(dest)
            # A release that does not verify, switched to by hand: it is never served.
            broken = dest / "releases" / "broken"
            shutil.copytree(dest / "current", broken)
            (broken / "production/enwiki/streamconfigs.json").unlink()
            (broken / "production/enwiki/streamconfigs.json").write_bytes(b'{"streams":{}}\n')
            (dest / "current").unlink()
            (dest / "current").symlink_to("releases/broken")
            time.sleep(1)
        finally:
            stop.set()
            for thread in threads:
                thread.join()
        assert httpx.get(f"{base}/healthz").headers["x-streamconf-release"] == served
        assert samples(httpx.get(f"{base}/metrics").text)["streamconf_release_reload_failures_total", ()] == 2  # each worker
    releases_seen = {name for _, name, _ in answers}
    assert len(answers) > 100 and len(releases_seen) >= 4 and "broken" not in releases_seen
    wrong = [(status, name) for status, name, content in answers
             if status != 200 or content != body_of[build_of_release[name]]]
    assert not wrong, wrong[:5]


def current_release(dest: Path) -> str:
    return (dest / "current").resolve().name


def wait_for_release(base: str, name: str) -> None:
    """Until every worker answers from the release: several answers in a row from it."""
    deadline = time.monotonic() + 20
    in_a_row = 0
    while in_a_row < 8:
        in_a_row = in_a_row + 1 if httpx.get(f"{base}/healthz").headers["x-streamconf-release"] == name else 0
        assert time.monotonic() < deadline, f"the server did not switch to {name}"


# -- stopping -------------------------------------------------------------------------------------

def test_sigterm_finishes_the_request_in_flight_then_exits(tmp_path: Path):
    """A 9 MB answer to a client that reads nothing yet is still being sent when SIGTERM arrives:
    the server waits for it, the client gets all of it, then the server exits cleanly."""
    padding = "x" * 9_000_000
    root = write_tree(tmp_path / "repo", {**MINIMAL, "streams/large.yaml": "large.stream:\n  schema_title: analytics/link_hover\n"
                                                               f"  padding: {padding}\n"})
    assert run_installed("compile", "--root", root, "--out", tmp_path / "build").returncode == 0
    bundle = (tmp_path / "build/production/enwiki/streamconfigs.json").read_bytes()
    with running_server(tmp_path / "build", "--workers", "1") as (base, process):
        host, port = base.removeprefix("http://").split(":")
        with socket.socket() as connection:
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # the answer cannot all be sent
            connection.connect((host, int(port)))
            connection.sendall(b"GET /production/enwiki" + API.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n")
            received = connection.recv(4096)
            assert received.startswith(b"HTTP/1.1 200 ")
            process.send_signal(signal.SIGTERM)
            time.sleep(1)
            assert process.poll() is None, "the server stopped with an answer in flight"
            while chunk := connection.recv(1 << 20):
                received += chunk
        head, body = received.split(b"\r\n\r\n", 1)
        assert body == bundle and f"content-length: {len(bundle)}".encode() in head.lower()
        assert process.wait(timeout=30) == 0


# -- the instrument configurator's route -----------------------------------------------------------

def test_instruments_are_the_configurator_s_body_per_realm(tmp_path: Path):
    from test_instruments import INSTRUMENT

    root = write_tree(tmp_path / "repo", {**MINIMAL, "instruments/web/scroll.yaml": INSTRUMENT})
    assert run_installed("compile", "--root", root, "--out", tmp_path / "build").returncode == 0
    body = (tmp_path / "build/production/instruments.json").read_bytes()
    with running_server(tmp_path / "build") as (base, _):
        by_host = httpx.get(f"{base}/api/v1/instruments", headers={"Host": "en.wikipedia.org"})
        assert by_host.status_code == 200 and by_host.content == body
        assert by_host.headers["cache-control"] == "public, max-age=600, s-maxage=600"
        assert httpx.get(f"{base}/production/api/v1/instruments").content == body
        again = httpx.get(f"{base}/production/api/v1/instruments", headers={"If-None-Match": by_host.headers["etag"]})
        assert again.status_code == 304
        assert httpx.get(f"{base}/beta/api/v1/instruments").status_code == 404


# -- what the server reads -------------------------------------------------------------------------

def test_parameters_are_read_as_php_fills_get_and_normalised_to_nfc():
    from streamconf.serve.app import ApiError, parse_query

    assert parse_query(b"streams=a+b&streams=c&x[]=1&action=streamconfigs") == {"streams": "c", "x": None,
                                                                                "action": "streamconfigs"}
    assert parse_query("streams=e\u0301".encode()) == {"streams": "\u00e9"}
    assert parse_query(b"streams=%1Fa|b%1Fc") == {"streams": "\x1fa|b\x1fc"}  # the multi-value separator is allowed
    with pytest.raises(ApiError):
        parse_query(b"streams=%00")


def test_a_build_that_does_not_match_its_manifest_is_refused(tmp_path: Path, published):
    build = tmp_path / "build"
    shutil.copytree(published[0], build)
    assert release.load(build).wikis
    (build / "production/dewiki/eventlogging.json").write_bytes(b"{}\n")
    with pytest.raises(release.ReleaseError, match="does not match the manifest"):
        release.load(build)
    manifest = read_json(build / "manifest.json")
    manifest["files"] = {"../outside.json": "sha256:0"}
    (build / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(release.ReleaseError, match="not a relative path inside the build"):
        release.load(build)
    done = run_installed("serve", build)
    assert done.returncode == 1 and "nothing to serve" in done.stderr and "Traceback" not in done.stderr


def test_explicit_topics_recorded_by_compile_decide_matching_and_pattern_answers(tmp_path: Path):
    """A bundle cannot tell written topics from computed ones; serving.json does."""
    root = write_tree(tmp_path / "repo", {**MINIMAL, "streams/fixed.yaml": """
        /^fixed\\./:
          schema_title: analytics/link_hover
          destination_event_service: eventgate-main
          topics: [fixed.topic]
        """})
    assert run_installed("compile", "--root", root, "--out", tmp_path / "build").returncode == 0
    serving = read_json(tmp_path / "build/production/serving.json")
    assert serving["explicit_topics"] == {wiki: ["/^fixed\\./"] for wiki in ("dewiki", "enwiki", "officewiki")}
    with running_server(tmp_path / "build") as (base, _):
        def ask(**params) -> dict:
            return httpx.get(f"{base}/production/enwiki/w/api.php", params={"action": "streamconfigs", **params}).json()

        assert ask(streams="fixed.one|a.b")["streams"]["fixed.one"]["topics"] == ["fixed.topic"]
        assert list(ask(constraints="topics[0]=fixed.topic")["streams"]) == ["/^fixed\\./"]
        assert ask(constraints="topics[0]=eqiad.a.b")["streams"] == {}  # computed topics are not settings


def test_a_build_directory_compiled_again_is_served_without_a_restart(tmp_path: Path):
    root = write_tree(tmp_path / "repo", MINIMAL)
    assert run_installed("compile", "--root", root, "--out", tmp_path / "build").returncode == 0
    with running_server(tmp_path / "build", "--poll", "0.1") as (base, _):
        before = httpx.get(f"{base}/healthz").headers["x-streamconf-release"]
        write_tree(root, {"stream-defaults.yaml": "topic_prefixes: [west.]\n"})
        assert run_installed("compile", "--root", root, "--out", tmp_path / "build").returncode == 0
        deadline = time.monotonic() + 20
        while httpx.get(f"{base}/healthz").headers["x-streamconf-release"] == before:
            assert time.monotonic() < deadline, "the new build was not served"
            time.sleep(0.05)
        answer = httpx.get(f"{base}/production/enwiki{API}")
        assert answer.content == (tmp_path / "build/production/enwiki/streamconfigs.json").read_bytes()
        assert answer.json()["streams"]["a.b"]["topics"] == ["west.a.b"]
