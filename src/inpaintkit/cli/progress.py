"""What the CLI shows on a terminal while it works: the stage (decoding, filling,
writing), and a bar for engines that work in steps. Large photos spend seconds in
decoding and encoding, so those show too; nothing is shown when stderr is no terminal."""

from __future__ import annotations

from types import TracebackType
from typing import Any

_STAGES = {
    "load": "reading the photo and mask",
    "refine": "preparing the mask",
    "plan": "planning regions",
    "engine": "filling",
    "composite": "compositing",
}


class Status:
    """A transient rich progress line on stderr; a no-op when disabled."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> Status:
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            self._bar = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.fields[count]}"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._task = self._bar.add_task("starting", total=None, count="")
            self._bar.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()

    def stage(self, name: str) -> None:
        if self._bar is not None:
            described = _STAGES.get(name, name)
            # reset, not update: a finished step bar must spin again for the next stage
            self._bar.reset(self._task, description=described, total=None, count="")

    def steps(self, done: int, total: int) -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=done, total=total, count=f"{done}/{total}")
