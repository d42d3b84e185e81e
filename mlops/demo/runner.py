"""Runs the demo's steps in order with a live progress view (on stderr) and a summary.

A step is a title and a function that does the work through the real CLI or adapters and
returns one line of what happened; it raises `DemoStepError` (or any error) when what should
have happened did not, and the demo stops there, naming the step."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict
from rich.console import Console, Group
from rich.live import Live
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from mlops.errors import MlopsError


class DemoStepError(MlopsError):
    """A demo step did not do what it should have."""

    error_name = "Mlops.DemoStepFailed"
    exit_code = 1


@dataclass(frozen=True)
class Step:
    title: str
    run: Callable[[], str]


class StepResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str
    status: str  # done | failed | skipped (not reached after a failure)
    seconds: float | None = None
    detail: str = ""


class DemoSummary(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    passed: bool
    seconds: float
    steps: list[StepResult]


@dataclass
class _Board:
    steps: Sequence[Step]
    results: dict[int, StepResult] = field(default_factory=dict)
    current: int | None = None
    current_started: float = 0.0

    def render(self) -> Group:
        table = Table(show_header=False, box=None, pad_edge=False)
        table.add_column(width=2)
        table.add_column()
        table.add_column(justify="right", style="dim")
        table.add_column(style="dim", overflow="fold")
        for i, step in enumerate(self.steps):
            result = self.results.get(i)
            if result is not None:
                mark = "[green]✔[/]" if result.status == "done" else "[red]✘[/]"
                table.add_row(mark, escape(step.title), f"{result.seconds or 0:.1f}s", escape(result.detail))
            elif i == self.current:
                table.add_row(
                    "[yellow]…[/]",
                    Text(step.title, style="bold"),
                    f"{time.monotonic() - self.current_started:.0f}s",
                    "",
                )
            else:
                table.add_row("[dim]·[/]", Text(step.title, style="dim"), "", "")
        return Group(table)


def run(steps: Sequence[Step], *, console: Console | None = None, live: bool = True) -> DemoSummary:
    console = console or Console(stderr=True)
    board = _Board(steps)
    began = time.monotonic()
    failed = False
    with (
        Live(
            board.render(),
            console=console,
            refresh_per_second=4,
            transient=False,
            auto_refresh=live,
            get_renderable=board.render,
        )
        if live
        else _NoLive()
    ):
        for i, step in enumerate(steps):
            board.current, board.current_started = i, time.monotonic()
            try:
                detail = step.run()
            except Exception as exc:  # the demo names the step that did not happen, whatever broke
                board.results[i] = StepResult(
                    title=step.title,
                    status="failed",
                    seconds=time.monotonic() - board.current_started,
                    detail=f"{type(exc).__name__}: {exc}",
                )
                failed = True
                break
            board.results[i] = StepResult(
                title=step.title, status="done", seconds=time.monotonic() - board.current_started, detail=detail
            )
            if not live:
                console.print(f"✔ {escape(step.title)} ({board.results[i].seconds:.1f}s): {escape(detail)}")
        board.current = None
    results = [board.results.get(i, StepResult(title=s.title, status="skipped")) for i, s in enumerate(steps)]
    return DemoSummary(passed=not failed, seconds=time.monotonic() - began, steps=results)


class _NoLive:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *_: object) -> None:
        return None
