"""Typed domain errors. One place (the CLI, the Lambda error mapper) turns them into exit codes
or Step Functions error names; nothing matches on message text."""

from __future__ import annotations

from dataclasses import dataclass


class MlopsError(Exception):
    """Base of every error this framework raises on purpose."""

    #: the Step Functions error name a handler reports for this error
    error_name = "Mlops.Error"
    #: the CLI exit code for this error
    exit_code = 1


@dataclass(frozen=True)
class ConfigProblem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class ConfigError(MlopsError):
    """The project config is invalid; carries every problem found, not just the first."""

    error_name = "Mlops.ConfigError"
    exit_code = 2

    def __init__(self, problems: list[ConfigProblem], *, source: str = "") -> None:
        self.problems = problems
        self.source = source
        where = f" in {source}" if source else ""
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{len(problems)} problem(s){where}:\n{lines}")


class LocalCloudError(MlopsError):
    """The local cloud could not be started, reached or stopped."""

    error_name = "Mlops.LocalCloudError"
    exit_code = 3


class UsageError(MlopsError):
    """Bad command-line arguments (not a bad config); carries every problem found."""

    error_name = "Mlops.UsageError"
    exit_code = 2

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{len(problems)} problem(s) with the arguments:\n{lines}")
