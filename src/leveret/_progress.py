"""What `leveret run` shows besides the logs: the objects it created, a progress bar per `.map`,
and a final line saying how the run ended.

A ``View`` is installed by the CLI (``current``); the SDK reports to it when one is set and does
nothing otherwise (a script calling ``.map`` prints nothing of this). On a terminal the view draws
with ``rich`` on stderr (a live bar that the log lines scroll above); elsewhere it writes plain
lines, so logs and CI output stay greppable.
"""

from __future__ import annotations

import re
import sys
import time

BUILD_STEP = re.compile(r"^step (\d+)/(\d+) (\w+)")   # the image builder's system lines

current: "View | None" = None


class MapProgress:
    """One `.map`: ``advance`` per output, ``set_total`` once the inputs are all sent."""

    def __init__(self, view: "View", name: str):
        self.view, self.name = view, name
        self.done, self.total = 0, None
        self.started = time.monotonic()

    def advance(self, n: int = 1) -> None:
        self.done += n

    def set_total(self, total: int) -> None:
        self.total = total

    def finish(self) -> None:
        self.view.map_finished(self)

    def summary(self) -> str:
        took = time.monotonic() - self.started
        rate = self.done / took if took > 0 else 0.0
        return f"{self.name}.map: {self.done} result(s) in {took:.2f} s ({rate:,.0f}/s)"


class View:
    """Plain lines (output that is not a terminal)."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr

    def _line(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def created(self, app_name: str, app_id: str, functions: list[tuple[str, str]],
                urls: dict[str, str] | None = None) -> None:
        """The app and its functions (name, detail); ``urls``: web functions' URLs ("Class.method" too)."""
        self._line(f"leveret: created app {app_name} ({app_id})")
        for i, (name, function_id) in enumerate(functions):
            self._line(f"leveret: {'└──' if i == len(functions) - 1 else '├──'} function {name} ({function_id})")
        for what, url in (urls or {}).items():
            self._line(f"leveret: {what} => {url}")

    def map_started(self, name: str) -> MapProgress:
        return MapProgress(self, name)

    def map_finished(self, progress: MapProgress) -> None:
        self._line(f"leveret: {progress.summary()}")

    def lines(self, lines) -> None:
        """Log lines as they are printed: a terminal turns image build steps into a bar."""

    def waiting(self, name: str):
        """A context around a `.remote()`: a terminal shows a spinner while it waits (containers
        starting, the function running); plain output shows nothing."""
        import contextlib

        return contextlib.nullcontext()

    def finished(self, outcome: str, text: str) -> None:
        """``outcome``: completed, failed or aborted."""
        mark = {"completed": "✓", "failed": "✗", "aborted": "✗"}.get(outcome, "-")
        self._line(f"leveret: {mark} {text}")

    def close(self) -> None:
        pass


class RichView(View):
    """A terminal: a tree of created objects, live bars for maps (log lines scroll above them)."""

    def __init__(self, console=None):
        from rich.console import Console

        self.console = console or Console(stderr=True)
        super().__init__(self.console.file)
        self._progress = None
        self._builds: dict[str, int] = {}   # function -> its image build's bar

    def created(self, app_name: str, app_id: str, functions: list[tuple[str, str]],
                urls: dict[str, str] | None = None) -> None:
        from rich.tree import Tree

        tree = Tree(f"[green]✓[/] created app [bold]{app_name}[/] [dim]({app_id})[/]")
        for name, detail in functions:
            tree.add(f"function [bold]{name}[/]" + (f" [dim]({detail})[/]" if detail else ""))
        for what, url in (urls or {}).items():
            tree.add(f"[bold]{what}[/] => [link={url}]{url}[/link]")
        self.console.print(tree)

    def _bars(self):
        if self._progress is None:
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn,
                                       TimeElapsedColumn)

            self._progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                      MofNCompleteColumn(), TextColumn("{task.fields[rate]}"), TimeElapsedColumn(),
                                      console=self.console, refresh_per_second=10)
            self._progress.start()
        return self._progress

    def map_started(self, name: str) -> MapProgress:
        progress = RichMapProgress(self, name)
        progress.task = self._bars().add_task(f"{name}.map", total=None, rate="")
        return progress

    def map_finished(self, progress: MapProgress) -> None:
        bars = self._bars()
        bars.update(progress.task, completed=progress.done, total=progress.done)
        bars.stop_task(progress.task)
        if bars.finished:
            self._stop_bars()
        self.console.print(f"[green]✓[/] {progress.summary()}")

    def lines(self, lines) -> None:
        for ln in lines:
            m = BUILD_STEP.match(ln.text) if ln.source == 3 else None
            if m is None:
                continue
            n, total, op = int(m[1]), int(m[2]), m[3]
            bars = self._bars()
            who = ln.function_name or "image"
            task = self._builds.get(who)
            if task is None:
                task = self._builds[who] = bars.add_task("", total=total, rate="")
            bars.update(task, completed=n, total=total, description=f"{who}: building its image, step {n}/{total} {op}")
            if n >= total:
                bars.remove_task(self._builds.pop(who))
                if not bars.tasks:
                    self._stop_bars()

    def waiting(self, name: str):
        import contextlib

        @contextlib.contextmanager
        def spin():
            bars = self._bars()
            task = bars.add_task(f"{name}.remote: waiting for its result", total=None, rate="")
            try:
                yield
            finally:
                bars.remove_task(task)
                if not bars.tasks:
                    self._stop_bars()
        return spin()

    def _stop_bars(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def finished(self, outcome: str, text: str) -> None:
        self._stop_bars()
        mark = {"completed": "[green]✓[/]", "failed": "[red]✗[/]", "aborted": "[yellow]✗[/]"}.get(outcome, "-")
        self.console.print(f"{mark} {text}", highlight=False)

    def close(self) -> None:
        self._stop_bars()


class RichMapProgress(MapProgress):
    task: int = 0

    def advance(self, n: int = 1) -> None:
        super().advance(n)
        took = time.monotonic() - self.started
        rate = f"{self.done / took:,.0f}/s" if took > 0 else ""
        self.view._bars().update(self.task, completed=self.done, rate=rate)

    def set_total(self, total: int) -> None:
        super().set_total(total)
        self.view._bars().update(self.task, total=total)


def for_stream(stream=None) -> View:
    """The view for a stream: rich on a terminal, plain lines otherwise."""
    stream = stream or sys.stderr
    if hasattr(stream, "isatty") and stream.isatty():
        from rich.console import Console

        return RichView(Console(file=stream))
    return View(stream)
