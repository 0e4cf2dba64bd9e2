"""Starting the service: check that the source holds a verified release, then run the ASGI
application under uvicorn (uvloop and httptools) with its worker processes."""

from __future__ import annotations

import os
from pathlib import Path

import click

from .release import ReleaseError, load

SHUTDOWN_SECONDS = 10  # how long SIGTERM waits for the requests in flight


def serve(source: Path, bind: str, port: int, workers: int, host_realm: str | None, poll: float) -> None:
    try:
        import uvicorn
    except ImportError:
        raise click.ClickException("serving needs the server packages: pip install 'streamconf[serve]'") from None
    source = source.resolve()
    try:
        name = load(source, host_realm).name  # each worker loads its own; this process keeps none
    except ReleaseError as error:
        raise click.ClickException(f"nothing to serve: {error}") from None
    os.environ.update(STREAMCONF_SERVE_SOURCE=str(source), STREAMCONF_SERVE_HOST_REALM=host_realm or "",
                      STREAMCONF_SERVE_POLL=str(poll))
    click.echo(f"serving release {name} of {source} on http://{bind}:{port} with {workers} worker(s)", err=True)
    uvicorn.run("streamconf.serve.app:from_environment", factory=True, host=bind, port=port, workers=workers,
                loop="uvloop", http="httptools", lifespan="on", access_log=False, server_header=False,
                timeout_graceful_shutdown=SHUTDOWN_SECONDS, log_level="warning")
