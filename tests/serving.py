"""The real server for tests: `streamconf serve` started as the installed program on a free port,
talked to over HTTP."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx

from conftest import EXECUTABLE

STARTUP_SECONDS = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_server(source: Path, *options: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """(base URL, process) of a server on SOURCE; stopped with SIGTERM, which must end it cleanly."""
    port = free_port()
    process = subprocess.Popen([str(EXECUTABLE), "serve", str(source), "--port", str(port), *options],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                raise AssertionError(f"the server exited: {process.stderr.read().decode()}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield base, process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            status = process.wait(timeout=STARTUP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise AssertionError("the server did not stop on SIGTERM") from None
        errors = process.stderr.read().decode()
        process.stdout.close()
        process.stderr.close()
        assert status == 0 and "Traceback" not in errors, (status, errors)
