"""`mlops pipeline run` arguments: Step Functions' execution-name rules, and bad arguments
reported as usage errors (exit 2, "invalid arguments"), every problem at once, before any AWS call."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mlops.cli import main as cli_main
from mlops.pipeline.executions import execution_name_problems
from tests.unit.test_config import EXAMPLE


@pytest.mark.parametrize(
    "name", ["run-1", "Run_2026.11.22", "x", "a" * 80, "bang!", "plus+equals=at@", "ümlaut-名前", "(parens)'quote'"]
)
def test_names_step_functions_accepts(name: str) -> None:
    assert execution_name_problems(name) == []


@pytest.mark.parametrize(
    ("name", "bad"),
    [
        ("bad name!", " "),
        ("tab\there", "\t"),
        ("no\u00a0break", "\u00a0"),
        ("a/b", "/"),
        ("a:b", ":"),
        ("ctl\x07", "\x07"),
        ("del\x7f", "\x7f"),
        ("c1\x85", "\x85"),
        ("nonchar\ufffe", "\ufffe"),
        ("lone\ud800", "\ud800"),
        *((f"x{c}y", c) for c in '<>{}[]?*"#%\\^|~`$&,;'),
    ],
)
def test_names_step_functions_refuses_name_the_character(name: str, bad: str) -> None:
    [problem] = execution_name_problems(name)
    assert problem.path == "--name" and f"U+{ord(bad):04X}" in problem.message


@pytest.mark.parametrize("length", [0, 81])
def test_names_are_1_to_80_characters(length: int) -> None:
    [problem] = execution_name_problems("a" * length)
    assert "1-80" in problem.message


def run_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    # no credentials and no endpoint: any AWS call would fail loudly instead of reporting usage
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "none")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "none")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setattr(sys, "argv", ["mlops", *args])
    with pytest.raises(SystemExit) as exited:
        cli_main.main()
    code = exited.value.code
    return code if isinstance(code, int) else 1, capsys.readouterr().err


def test_every_bad_run_argument_is_one_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = run_cli(
        monkeypatch,
        capsys,
        *("-f", str(EXAMPLE), "pipeline", "run", "-d", "nope", "--name", "bad name!"),
        *("--set", "bogus_param=1", "--set", "num_round=abc"),
    )
    assert code == 2
    assert "invalid arguments: 4 problem(s)" in err and "invalid config" not in err
    for path in ("--dataset", "--name", "--set bogus_param=1", "--set num_round=abc"):
        assert path in err


def test_an_unknown_environment_or_config_file_is_a_bad_argument(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, err = run_cli(monkeypatch, capsys, "-f", str(EXAMPLE), "-e", "staging", "pipeline", "runs")
    assert code == 2 and "invalid arguments" in err and "--env" in err and "staging" in err
    code, err = run_cli(monkeypatch, capsys, "-f", str(tmp_path / "missing.yaml"), "pipeline", "runs")
    assert code == 2 and "invalid arguments" in err and "--config" in err


def test_a_bad_config_is_still_reported_as_one(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "mlops.yaml"
    bad.write_text(EXAMPLE.read_text().replace("num_round: 200", "num_round: lots"))
    code, err = run_cli(monkeypatch, capsys, "-f", str(bad), "pipeline", "runs")
    assert code == 2 and "invalid config" in err and "training.hyperparameters.num_round" in err


def test_an_unknown_dataset_is_a_bad_argument_for_data_commands_too(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    upload = tmp_path / "bc.csv"
    upload.write_text("a\n1\n")
    code, err = run_cli(monkeypatch, capsys, "-f", str(EXAMPLE), "data", "push", str(upload), "-d", "nope")
    assert code == 2 and "invalid arguments" in err and "--dataset" in err and "invalid config" not in err
