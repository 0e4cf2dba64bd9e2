"""`make bench`: time the installed program as whole processes on synthetic repositories at
Wikimedia's size and at ten times that, and write the results into docs/benchmarks.md.

Each repository is generated from a seed (tests/synthetic.py), committed to a fresh git repository
with a second commit that changes one override (for `diff`), and every command is run several
times. Reported: the median wall time and the largest peak resident memory of the runs. The
bundles of each cold compile are hashed and checked against benchmarks/outputs.json, so a change
that alters the output is caught here as well as by the tests.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT / "tests"))

from synthetic import TEN_TIMES, WIKIMEDIA, Size, generate  # noqa: E402

import serve as serve_bench  # noqa: E402  (benchmarks/serve.py)
from machine import REPORT, machine  # noqa: E402  (benchmarks/machine.py)

EXECUTABLE = Path(sys.executable).parent / "streamconf"
WORK = PROJECT / "benchmarks" / "work"
HASHES = PROJECT / "benchmarks" / "outputs.json"
START, END = "<!-- results: written by make bench -->", "<!-- end of results -->"

SIZE_NAMES = ("wikimedia", "ten-times")
# command -> (target at Wikimedia scale, target at ten times), seconds; None: no target.
TARGETS = {
    "anchor: fixed Python work": (None, None),
    "--help": (0.15, None),
    "validate": (0.5, 4.0),
    "compile, cold": (1.0, 10.0),
    "compile, nothing changed": (0.3, 2.0),
    "compile, after a one-line edit": (0.25, None),
    "compile, after another edit": (0.25, None),
    "diff, two commits": (2.0, 20.0),
    "show one wiki": (None, None),
    "show one wiki's instruments": (None, None),
}
AT = ["--at", "2026-12-01T00:00:00Z"]  # the synthetic instruments are placed around this instant
MEMORY_TARGET_MB = (200, 1024)
# The same CPU work in every run: on a shared machine its time says how busy the machine was.
ANCHOR = [sys.executable, "-c", "sum(i * i for i in range(3_000_000))"]
CACHE = WORK / "cache"  # the parse cache of the runs (STREAMCONF_CACHE_DIR), emptied before each cold compile


def run(command: list[str], cwd: Path) -> tuple[float, float, float]:
    """Wall seconds, peak resident memory (MB) and CPU seconds (user and system) of one process."""
    with tempfile.TemporaryFile() as errors:  # a file, not a pipe: a full pipe would block the process
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            errors.seek(0)
            raise SystemExit(f"{' '.join(command)} failed: {errors.read().decode()}")
    return wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=bench", "-c", "user.email=bench@example.org", *args], cwd=repo, check=True,
                   stdout=subprocess.DEVNULL)


def prepare(name: str, size: Size, seed: int) -> Path:
    repo = WORK / name
    shutil.rmtree(repo, ignore_errors=True)
    generate(repo, size, seed)
    (repo / ".gitignore").write_text("/build/\n/out-*/\n/.out-*.spare/\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Synthetic config")
    edit(repo)
    git(repo, "commit", "-q", "-am", "One override changed")
    return repo


def edit(repo: Path, which: int = 0) -> None:
    """Change one line: a sample rate in the production overrides (the first, or the `which`-th),
    toggled."""
    places = ((path, number) for path in sorted((repo / "overrides" / "production").glob("*.yaml"))
              for number, line in enumerate(path.read_text().splitlines(keepends=True)) if "rate:" in line)
    target, number = next(islice(places, which, None))
    lines = target.read_text().splitlines(keepends=True)
    line = lines[number]
    lines[number] = line.replace("rate: 0.5", "rate: 0.25") if "rate: 0.5" in line else line.split("rate:")[0] + "rate: 0.5\n"
    target.write_text("".join(lines))


def bundles_digest(out: Path) -> str:
    """The digest of the stream bundles (the instruments' files are checked by the tests)."""
    digest = hashlib.sha256()
    for path in sorted(out.rglob("*.json")):
        if path.name not in ("manifest.json", "instruments.json", "serving.json"):
            digest.update(str(path.relative_to(out)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def measure(name: str, repo: Path, runs: int) -> tuple[dict[str, tuple[float, float, float]], str]:
    exe = str(EXECUTABLE)
    out = repo / "out-unused"
    wiki = next(iter(_wikis(repo)))
    results: dict[str, list[tuple[float, float, float]]] = {key: [] for key in TARGETS}
    digest = ""
    for attempt in range(runs):
        results["anchor: fixed Python work"].append(run(ANCHOR, repo))
        results["--help"].append(run([exe, "--help"], repo))
        results["validate"].append(run([exe, "validate", "--root", ".", *AT], repo))
        # Cold: a directory never used before. (Deleting a build just before re-creating it costs
        # this machine's disk, mounted with `discard`, another half second of block reuse.)
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(out.parent / f".{out.name}.spare", ignore_errors=True)  # the build compile kept
        shutil.rmtree(CACHE, ignore_errors=True)  # cold: nothing parsed or recorded before either
        out = repo / f"out-{attempt}"
        results["compile, cold"].append(run([exe, "compile", "--root", ".", "--out", out.name, *AT], repo))
        digest = digest or bundles_digest(out)
        results["compile, nothing changed"].append(run([exe, "compile", "--root", ".", "--out", out.name, *AT], repo))
        edit(repo)
        results["compile, after a one-line edit"].append(run([exe, "compile", "--root", ".", "--out", out.name, *AT], repo))
        edit(repo, which=1)  # the build before the last is now the spare: updated in place
        results["compile, after another edit"].append(run([exe, "compile", "--root", ".", "--out", out.name, *AT], repo))
        git(repo, "checkout", "-q", "--", ".")
        results["diff, two commits"].append(run([exe, "diff", "HEAD~1", "HEAD", "--root", ".", "--format", "json"], repo))
        results["show one wiki"].append(run([exe, "show", wiki, "--root", "."], repo))
        results["show one wiki's instruments"].append(run([exe, "show", wiki, "--instruments", "--root", ".", *AT], repo))
        print(f"  {name}: run done", flush=True)
    summary = {key: (statistics.median(w for w, _, _ in runs_), max(m for _, m, _ in runs_),
                     statistics.median(c for _, _, c in runs_)) for key, runs_ in results.items()}
    return summary, digest


def _wikis(repo: Path) -> list[str]:
    import yaml

    return list(yaml.safe_load((repo / "realms" / "production.yaml").read_text())["wikis"])


def table(results: dict[str, dict[str, tuple[float, float, float]]]) -> str:
    names = list(results)
    lines = ["| command | " + " | ".join(f"{name}: median wall (CPU) (target)" for name in names) + " |",
             "| --- | " + " | ".join("---" for _ in names) + " |"]
    verdicts = []
    for command, targets in TARGETS.items():
        cells = []
        for name in names:
            wall, _, cpu = results[name][command]
            target = targets[SIZE_NAMES.index(name)]
            mark = "" if target is None else (" ✅" if wall <= target else " ❌")
            cells.append(f"{wall:.2f} s ({cpu:.2f} s)" + ("" if target is None else f" (≤ {target:g} s){mark}"))
            if target is not None and wall > target:
                verdicts.append(f"{command} at {name}: {wall:.2f} s, target {target:g} s ({wall / target:.1f}×)")
        lines.append(f"| `{command}` | " + " | ".join(cells) + " |")
    peaks = []
    for name in names:
        peak = max(memory for _, memory, _ in results[name].values())
        target = MEMORY_TARGET_MB[SIZE_NAMES.index(name)]
        peaks.append(f"{peak:.0f} MB (≤ {target} MB)" + (" ✅" if peak <= target else " ❌"))
        if peak > target:
            verdicts.append(f"peak memory at {name}: {peak:.0f} MB, target {target} MB")
    lines.append("| peak memory, any command | " + " | ".join(peaks) + " |")
    return "\n".join(lines) + "\n\n" + ("Missed: " + "; ".join(verdicts) + "." if verdicts else "Every target is met.") + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", default="wikimedia,ten-times")
    parser.add_argument("--skip-serve", action="store_true", help="Leave out the `serve` load test (benchmarks/serve.py).")
    args = parser.parse_args()
    sizes = {"wikimedia": (WIKIMEDIA, args.runs + 2), "ten-times": (TEN_TIMES, args.runs)}
    expected = json.loads(HASHES.read_text())
    results, problems = {}, []
    os.environ["STREAMCONF_CACHE_DIR"] = str(CACHE)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    for name in args.sizes.split(","):
        size, runs = sizes[name]
        print(f"{name}: generating", flush=True)
        repo = prepare(name, size, seed=1)
        results[name], digest = measure(name, repo, runs)
        if digest != expected.get(name):
            problems.append(f"{name}: the bundles' digest is {digest}, expected {expected.get(name)}")
    report = REPORT.read_text() if REPORT.exists() else f"# Benchmarks\n\n{START}\n{END}\n"
    command = " ".join([".venv/bin/python benchmarks/run.py", *sys.argv[1:]]) if sys.argv[1:] else "make bench"
    body = (f"{START}\nMachine: {machine()}.\n\nCommand: `{command}` ({time.perf_counter() - started:.0f} s). "
            f"Runs per command: {sizes['wikimedia'][1]} at Wikimedia scale, {sizes['ten-times'][1]} at ten times. "
            f"Load average (1 min) at the start {load_before:.1f}, at the end {os.getloadavg()[0]:.1f}, on "
            f"{os.cpu_count()} cores: the anchor row is the same work in every run, and the CPU seconds in "
            f"brackets (user and system) depend less on other processes than wall times do.\n\n"
            f"{table(results)}\n{END}")
    REPORT.write_text(report.split(START)[0] + body + report.split(END, 1)[1])
    print(table(results))
    if not args.skip_serve:
        serve_bench.write_report(REPORT, machine())
    if problems:
        raise SystemExit("\n".join(problems))
    print("bundles identical to benchmarks/outputs.json")


if __name__ == "__main__":
    main()
