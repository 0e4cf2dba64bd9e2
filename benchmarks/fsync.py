"""What flushing outputs to the disk costs: a cold compile and a publish of a new release, timed
as whole processes, once as shipped and once with the flushes (fsync, syncfs) made no-ops.

    .venv/bin/python benchmarks/fsync.py [--runs 5] [--sizes wikimedia,ten-times]

Prints a markdown table (median wall seconds) for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
from pathlib import Path

from run import EXECUTABLE, SIZE_NAMES, TEN_TIMES, WIKIMEDIA, prepare, run

# The same entry point as the installed program, with fsync() and the tree flush (syncfs()) made
# no-ops before publish imports them: the writes stay the same.
WITHOUT_FSYNC = [sys.executable, "-c", "import os, sys; os.fsync = lambda fd: None; from streamconf import emit; "
                 "emit.sync_tree = lambda directory: None; sys.argv[0] = 'streamconf'; "
                 "from streamconf.cli import main; main()"]


def measure(repo: Path, runs: int) -> dict[str, tuple[float, float]]:
    """(with fsync, without) median seconds per operation."""
    results = {}
    for operation in ("compile, cold", "publish a new release"):
        medians = []
        for program in ([str(EXECUTABLE)], WITHOUT_FSYNC):
            times = []
            for index in range(runs):
                out, dest = repo / "out-fsync", repo.parent / f"{repo.name}-dest"
                if operation == "compile, cold":
                    shutil.rmtree(out, ignore_errors=True)
                    times.append(run([*program, "compile", "--out", str(out)], repo)[0])
                else:
                    if not out.exists():
                        run([str(EXECUTABLE), "compile", "--out", str(out)], repo)
                    shutil.rmtree(dest, ignore_errors=True)
                    times.append(run([*program, "publish", str(out), str(dest)], repo)[0])
            medians.append(statistics.median(times))
        results[operation] = (medians[0], medians[1])
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default=",".join(SIZE_NAMES))
    args = parser.parse_args()
    sizes = {"wikimedia": WIKIMEDIA, "ten-times": TEN_TIMES}
    rows = ["| size | operation | with fsync | without | cost |", "| --- | --- | --- | --- | --- |"]
    for name in args.sizes.split(","):
        repo = prepare(f"fsync-{name}", sizes[name], seed=1)
        for operation, (synced, unsynced) in measure(repo, args.runs).items():
            rows.append(f"| {name} | {operation} | {synced:.2f} s | {unsynced:.2f} s | "
                        f"{synced - unsynced:+.2f} s ({(synced / unsynced - 1) * 100:+.0f} %) |")
        print("\n".join(rows), flush=True)


if __name__ == "__main__":
    main()
