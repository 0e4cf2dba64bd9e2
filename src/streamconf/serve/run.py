"""Starting the service: check that the source holds a verified release, then run the ASGI
application under uvicorn (uvloop and httptools) with its worker processes."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from pathlib import Path

import click

from .release import ReleaseError, load

SHUTDOWN_SECONDS = 10  # how long SIGTERM waits for the requests in flight
MAX_DEFAULT_WORKERS = 4  # each holds a release in memory: about 80 MB at Wikimedia's size


def default_workers() -> int:
    """One worker per CPU this process may run on (its affinity, which containers and systemd's
    CPUAffinity set), at most MAX_DEFAULT_WORKERS."""
    return max(1, min(len(os.sched_getaffinity(0)), MAX_DEFAULT_WORKERS))


def serve(source: Path, bind: str, port: int, workers: int | None, host_realm: str | None, poll: float) -> None:
    try:
        import prometheus_client  # noqa: F401 - the workers' metrics
        import uvicorn
    except ImportError:
        raise click.ClickException("serving needs the server packages: pip install 'streamconf[serve]'") from None
    source = source.resolve()
    workers = workers or default_workers()
    try:
        name = load(source, host_realm).name  # each worker loads its own; this process keeps none
    except ReleaseError as error:
        raise click.ClickException(f"nothing to serve: {error}") from None
    # uvicorn stops gracefully on SIGTERM, then raises it again under the handler it found: this
    # one makes that a plain exit with status 0 (and a SIGTERM before uvicorn starts, too).
    signal.signal(signal.SIGTERM, _stopped)
    shared_metrics = tempfile.mkdtemp(prefix="streamconf-serve-metrics-")  # this run's own, removed at its end
    try:
        os.environ.update(STREAMCONF_SERVE_SOURCE=str(source), STREAMCONF_SERVE_HOST_REALM=host_realm or "",
                          STREAMCONF_SERVE_POLL=str(poll), PROMETHEUS_MULTIPROC_DIR=shared_metrics)
        click.echo(f"serving release {name} of {source} on http://{bind}:{port} with {workers} worker(s)", err=True)
        uvicorn.run("streamconf.serve.app:from_environment", factory=True, host=bind, port=port, workers=workers,
                    loop="uvloop", http="httptools", lifespan="on", access_log=False, server_header=False,
                    timeout_graceful_shutdown=SHUTDOWN_SECONDS, log_level="warning")
    finally:
        shutil.rmtree(shared_metrics, ignore_errors=True)


def _stopped(signum: int, frame: object) -> None:
    raise SystemExit(0)
