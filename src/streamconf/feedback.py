"""What a command says about its work besides its result: a progress bar on a terminal (never in
CI or into a pipe), the time of each stage with --verbose, and with --quiet nothing but the
result and the findings. The stages announce themselves with `stage()`; outside a command (a
library call, a test) nothing is shown."""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Callable, Iterator, TextIO

QUIET, NORMAL, VERBOSE = 0, 1, 2


def on_terminal(stream: TextIO) -> bool:
    """A person watching: a terminal, and neither CI nor a terminal that cannot redraw."""
    return stream.isatty() and not os.environ.get("CI") and os.environ.get("TERM") != "dumb"


class Feedback:
    def __init__(self, level: int = NORMAL, stream: TextIO | None = None) -> None:
        self.level = level
        self.stream = stream or sys.stderr
        self._progress = None

    @property
    def bar(self) -> bool:
        return self.level >= NORMAL and on_terminal(self.stream)

    @contextmanager
    def stage(self, description: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
        """A step of the work; yields a function that advances it by a number of units of `total`."""
        started = time.perf_counter()
        progress = self._live() if self.bar else None
        task = progress.add_task(description, total=total) if progress else None
        if progress:
            progress.refresh()  # drawn at once, however short the stage
        try:
            yield (lambda units=1: progress.advance(task, units)) if progress else (lambda units=1: None)
        finally:
            if progress:
                progress.remove_task(task)
        if self.level >= VERBOSE:
            self.stream.write(f"{description}: {time.perf_counter() - started:.2f} s\n")

    def _live(self):
        if self._progress is None:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self._progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                      TimeElapsedColumn(), console=Console(file=self.stream), transient=True)
            self._progress.start()
        return self._progress

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


_current: ContextVar[Feedback] = ContextVar("feedback", default=Feedback(QUIET))


@contextmanager
def shown(feedback: Feedback) -> Iterator[Feedback]:
    """Make `feedback` the one stages report to, for the length of a command."""
    token = _current.set(feedback)
    try:
        yield feedback
    finally:
        feedback.close()
        _current.reset(token)


def current() -> Feedback:
    return _current.get()


def stage(description: str, total: int | None = None):
    return current().stage(description, total)
