"""`streamconf serve` under load, beside nginx serving the same bundle as a static file.

At Wikimedia's size (tests/synthetic.py), published with `streamconf publish`: wrk loads each
server from the same machine, with the same number of worker processes, for the whole bundle of a
wiki chosen by Host header, a `streams=` query and a `constraints=` query. Then `publish` switches
releases three times during a load while a checker compares every answer it gets with the bundle
of the release its header names. Reported: requests per second, p99 latency, non-2xx answers,
mixed answers and the resident memory of the server's processes.

Run by `make bench` (after the command timings), or alone: python benchmarks/serve.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT / "tests"))

from serving import free_port  # noqa: E402
from synthetic import WIKIMEDIA, generate  # noqa: E402

EXECUTABLE = Path(sys.executable).parent / "streamconf"
WORKERS = 2  # both servers: one worker per core of this machine
SECONDS = 10
CONNECTIONS = 16
# Targets of the issue: the full bundle at half nginx's rate or more, queries at 5,000/s, p99 10 ms.
FULL_SHARE, QUERY_RATE, P99_MS, MEMORY_MB = 0.5, 5000, 10.0, 300

NGINX_CONF = """
worker_processes {workers};
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    types {{ application/json json; }}
    server {{
        listen 127.0.0.1:{port};
        location = /w/api.php {{
            default_type application/json;
            alias {bundle};
        }}
    }}
}}
"""


@dataclass
class Load:
    requests_per_second: float
    p99_ms: float
    non_2xx: int
    errors: int


def wrk(url: str, host: str) -> Load:
    done = subprocess.run(["wrk", f"-t{WORKERS}", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency", "-H", f"Host: {host}", url],
                          capture_output=True, text=True, check=True)
    out = done.stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"\s99%\s+([\d.]+)(us|ms|s)", out).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    non_2xx = int(re.search(r"Non-2xx or 3xx responses: (\d+)", out).group(1)) if "Non-2xx" in out else 0
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return Load(rate, p99, non_2xx, errors)


def started(command: list[str], url: str) -> subprocess.Popen:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(url, timeout=1)
            return process
        except httpx.TransportError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit(f"{command[0]} did not start")
            time.sleep(0.1)


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)


def resident_mb(pid: int) -> float:
    """VmRSS of a process and all its descendants."""
    pids, total = [pid], 0
    while pids:
        current = pids.pop()
        status = Path(f"/proc/{current}/status")
        if status.exists():
            total += next(int(line.split()[1]) for line in status.read_text().splitlines() if line.startswith("VmRSS"))
        children = Path(f"/proc/{current}/task/{current}/children")
        if children.exists():
            pids += [int(child) for child in children.read_text().split()]
    return total / 1024


def streamconf(*args: str) -> None:
    subprocess.run([str(EXECUTABLE), *args], check=True, stdout=subprocess.DEVNULL)


def prepare(work: Path) -> tuple[Path, Path]:
    """(the changed repository's build, the publish destination holding the first release)."""
    generate(work / "repo", WIKIMEDIA, seed=1)
    streamconf("compile", "--root", str(work / "repo"), "--out", str(work / "one"))
    shutil.copytree(work / "repo", work / "changed")
    defaults = work / "changed" / "stream-defaults.yaml"
    defaults.write_text(defaults.read_text() + "\nbenchmark_release: 2\n")
    streamconf("compile", "--root", str(work / "changed"), "--out", str(work / "two"))
    streamconf("publish", str(work / "one"), str(work / "dest"), "--allow-dirty", "--keep", "10")
    return work / "two", work / "dest"


def switch_under_load(base: str, work: Path, dest: Path, host: str, wiki: str) -> tuple[Load, int, int, list[float]]:
    """wrk on the whole bundle while `publish` switches three times; a checker compares each answer
    it gets with the bundle of the release its header names. (load, answers checked, mixed or
    failed, seconds from each publish to its release's first answer)"""
    bundle = {name: (work / name / f"production/{wiki}/streamconfigs.json").read_bytes() for name in ("one", "two")}
    build_of = {(dest / "current").resolve().name: "one"}
    published_at: dict[str, float] = {}
    answers: list[tuple[float, str, bytes]] = []
    finished = threading.Event()

    def check() -> None:
        with httpx.Client(base_url=base, headers={"Host": host}, timeout=10) as client:
            while not finished.is_set():
                answer = client.get("/w/api.php?action=streamconfigs&format=json")
                name = answer.headers.get("x-streamconf-release", "") if answer.status_code == 200 else ""
                answers.append((time.monotonic(), name, answer.content))

    def publish() -> None:
        for step in range(3):
            time.sleep(SECONDS / 5)
            build = "two" if step % 2 == 0 else "one"
            streamconf("publish", str(work / build), str(dest), "--allow-dirty", "--keep", "10")
            name = (dest / "current").resolve().name
            build_of[name], published_at[name] = build, time.monotonic()

    threads = [threading.Thread(target=check), threading.Thread(target=publish)]
    for thread in threads:
        thread.start()
    load = wrk(f"{base}/w/api.php?action=streamconfigs&format=json", host)
    threads[1].join()
    time.sleep(3)  # the last publish's release is answered from too
    finished.set()
    threads[0].join()
    mixed = sum(1 for _, name, content in answers if name not in build_of or content != bundle[build_of[name]])
    first_seen = {}
    for when, name, _ in answers:
        first_seen.setdefault(name, when)
    delays = [first_seen[name] - published_at[name] for name in published_at if name in first_seen]
    return load, len(answers), mixed, delays


def measure() -> dict[str, object]:
    work = Path(tempfile.mkdtemp(prefix="serve-bench-", dir=PROJECT / "benchmarks"))
    work.chmod(0o755)  # nginx's workers run as an unprivileged user
    loads = [load_average()]
    try:
        _, dest = prepare(work)
        host, wiki = largest_bundle(dest)
        bundle = dest / "current/production" / wiki / "streamconfigs.json"
        results: dict[str, object] = {"bundle bytes": bundle.stat().st_size, "wiki": wiki}
        port = free_port()
        prefix = work / "nginx"
        prefix.mkdir()
        (prefix / "nginx.conf").write_text(NGINX_CONF.format(workers=WORKERS, prefix=prefix, port=port, bundle=bundle))
        nginx = started(["nginx", "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"],
                        f"http://127.0.0.1:{port}/w/api.php")
        try:
            results["nginx, full bundle"] = wrk(f"http://127.0.0.1:{port}/w/api.php?action=streamconfigs&format=json", host)
        finally:
            stop(nginx)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = started([str(EXECUTABLE), "serve", str(dest), "--port", str(port), "--workers", str(WORKERS), "--poll", "0.5"],
                         f"{base}/healthz")
        try:
            api = f"{base}/w/api.php?action=streamconfigs&format=json"
            results["serve, full bundle"] = wrk(api, host)
            names = [name for name in json.loads(bundle.read_bytes())["streams"] if not name.startswith("/")]
            results["serve, streams="] = wrk(api + "&streams=" + "|".join(names[:3] + ["team0.job0.refresh"]), host)
            results["serve, constraints="] = wrk(api + "&constraints=destination_event_service=eventgate-main", host)
            results["memory MB"] = resident_mb(server.pid)
            results["serve, full bundle, publish during load"] = switch_under_load(base, work, dest, host, wiki)
        finally:
            stop(server)
        results["framework"] = framework_cost(dest, host)
        results["load averages"] = loads + [load_average()]
        return results
    finally:
        shutil.rmtree(work, ignore_errors=True)


def framework_cost(dest: Path, host: str, requests: int = 20_000) -> dict[str, float]:
    """Microseconds per request of the application alone, called in-process (no network, no
    server): streamconf's plain ASGI application, and the same answers behind a Starlette router."""
    import asyncio

    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    from streamconf.serve.app import Service

    service = Service(dest)

    async def endpoint(request):
        release = service.release
        _, answer = service.route(release, request.scope)
        return Response(answer.body, answer.status, headers={k.decode(): v.decode() for k, v in answer.headers})

    routed = Starlette(routes=[Route("/w/api.php", endpoint), Route("/{realm}/{wiki}/w/api.php", endpoint),
                               Route("/healthz", endpoint), Route("/metrics", endpoint)])
    scope = {"type": "http", "method": "GET", "path": "/w/api.php", "raw_path": b"/w/api.php", "root_path": "",
             "scheme": "http", "query_string": b"action=streamconfigs&format=json", "headers": [(b"host", host.encode())],
             "http_version": "1.1", "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 1)}

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        pass

    async def drive(app) -> float:
        for _ in range(1000):  # warm
            await app(dict(scope), receive, send)
        started = time.perf_counter()
        for _ in range(requests):
            await app(dict(scope), receive, send)
        return (time.perf_counter() - started) / requests * 1e6

    return {"plain ASGI": asyncio.run(drive(service)), "Starlette": asyncio.run(drive(routed))}


def load_average() -> float:
    """The machine's one-minute load average: above its core count, other work shared the cores."""
    return float(Path("/proc/loadavg").read_text().split()[0])


def largest_bundle(dest: Path) -> tuple[str, str]:
    """(host name, wiki) of the production wiki with the largest bundle that has a host name."""
    domains = json.loads((dest / "current/production/serving.json").read_bytes())["domains"]
    size = {wiki: (dest / "current/production" / wiki / "streamconfigs.json").stat().st_size for wiki in set(domains.values())}
    wiki = max(sorted(size), key=size.get)
    return min(host for host, owner in domains.items() if owner == wiki), wiki


def report(results: dict[str, object]) -> str:
    nginx = results["nginx, full bundle"]
    switch, checked, mixed, delays = results["serve, full bundle, publish during load"]
    before, after = results["load averages"]
    lines = [f"The machine's load average was {before:.1f} before and {after:.1f} after the measurement, on "
             f"{os.cpu_count()} cores: " + ("it was shared with other work, and the p99 latencies below mostly measure "
                                             "the wait for a core." if before > os.cpu_count() / 2 else
                                             "nothing else ran before it (the load after is its own)."), "",
             f"Load: wrk, {WORKERS} threads, {CONNECTIONS} connections, {SECONDS} s per row, from the same machine; "
             f"both servers with {WORKERS} worker processes. The bundle is {results['bundle bytes']:,} bytes "
             f"({results['wiki']}, the largest at Wikimedia's size).", "",
             "| what | requests/s | p99 | non-2xx, errors | target |", "| --- | --- | --- | --- | --- |"]
    full_rate = FULL_SHARE * nginx.requests_per_second
    rows = [("nginx, full bundle (static file)", nginx, "reference", None),
            ("serve, full bundle", results["serve, full bundle"],
             f"≥ {FULL_SHARE} × nginx = {full_rate:,.0f}/s, p99 ≤ {P99_MS:g} ms", full_rate),
            ("serve, `streams=` (4 names, one a pattern's)", results["serve, streams="],
             f"≥ {QUERY_RATE:,}/s, p99 ≤ {P99_MS:g} ms", QUERY_RATE),
            ("serve, `constraints=destination_event_service=…`", results["serve, constraints="],
             f"≥ {QUERY_RATE:,}/s, p99 ≤ {P99_MS:g} ms", QUERY_RATE),
            ("serve, full bundle, 3 publishes during the load", switch, "no errors, no mixed answers", 0)]
    for label, load, target, rate in rows:
        met = "" if rate is None else (" ✅" if load.requests_per_second >= rate and load.non_2xx == load.errors == 0
                                       and (load.p99_ms <= P99_MS if rate else mixed == 0) else " ❌")
        lines.append(f"| {label} | {load.requests_per_second:,.0f} | {load.p99_ms:.1f} ms | {load.non_2xx}, {load.errors} "
                     f"| {target}{met} |")
    lines += ["", f"During the publishes a checker read {checked:,} answers: {mixed} mixed (an answer whose body is not "
                  f"the bundle of the release its header names) or failed. Each new release was answered from "
                  f"{', '.join(f'{delay:.1f}' for delay in delays)} s after its publish finished "
                  f"({len(delays)} of 3 seen).",
              f"Resident memory of the server (supervisor and {WORKERS} workers) after the loads: "
              f"{results['memory MB']:.0f} MB (target ≤ {MEMORY_MB} MB).", "",
              "The application alone, called in-process for a whole bundle (no network): "
              + ", ".join(f"{name} {micros:.1f} µs per request" for name, micros in results["framework"].items())
              + ". The difference is what a router would add to every request."]
    return "\n".join(lines) + "\n"


START, END = "<!-- serve results: written by make bench -->", "<!-- end of serve results -->"


def write_report(path: Path, machine: str) -> None:
    """Measure, print, and put the figures between the markers of docs/benchmarks.md."""
    text = report(measure())
    print(text)
    document = path.read_text()
    if START not in document:
        document += f"\n## `streamconf serve` under load\n\n{START}\n{END}\n"
    stamp = f"Machine: {machine}. Command: `make bench` (or `.venv/bin/python benchmarks/serve.py`).\n\n"
    path.write_text(document.split(START)[0] + START + "\n" + stamp + text + END + document.split(END, 1)[1])


if __name__ == "__main__":
    from machine import REPORT, machine

    write_report(REPORT, machine())
