import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from mlops.cli.main import app

EXAMPLE = Path(__file__).resolve().parents[2] / "mlops.yaml"
runner = CliRunner()


def test_validate_accepts_the_example_in_every_environment() -> None:
    result = runner.invoke(app, ["-f", str(EXAMPLE), "config", "validate", "--all", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["environments"] == {"dev": [], "prod": []}


def test_validate_lists_every_problem_and_exits_2(tmp_path: Path) -> None:
    document = yaml.safe_load(EXAMPLE.read_text())
    document["training"]["instance_count"] = -1
    document["quality_gate"]["direction"] = "sideways"
    document["datasets"]["breast-cancer"]["target"] = "nope"
    path = tmp_path / "mlops.yaml"
    path.write_text(yaml.safe_dump(document))
    result = runner.invoke(app, ["-f", str(path), "config", "validate", "--json"])
    assert result.exit_code == 2
    paths = {p["path"] for p in json.loads(result.output)["environments"]["dev"]}
    # structural and cross-field problems together, in one run
    assert {"training.instance_count", "quality_gate.direction", "datasets.breast-cancer.target"} <= paths
    human = runner.invoke(app, ["-f", str(path), "config", "validate"])
    assert (
        human.exit_code == 2 and "training.instance_count" in human.output and "quality_gate.direction" in human.output
    )


def test_schema_is_json_schema() -> None:
    result = runner.invoke(app, ["config", "schema"])
    assert result.exit_code == 0
    assert json.loads(result.output)["properties"]["training"]


def test_human_output_shows_user_text_verbatim_never_as_markup(tmp_path: Path) -> None:
    document = yaml.safe_load(EXAMPLE.read_text())
    document["project"] = "Bad_Name!"  # the message quotes the rule's regex, brackets and all
    document["datasets"]["breast-cancer"]["target"] = "[bold]nope[/bold]"
    path = tmp_path / "mlops.yaml"
    path.write_text(yaml.safe_dump(document))
    machine = runner.invoke(app, ["-f", str(path), "config", "validate", "--json"])
    messages = [p["message"] for p in json.loads(machine.output)["environments"]["dev"]]
    human = runner.invoke(app, ["-f", str(path), "config", "validate"])
    assert human.exit_code == 2
    flat = " ".join(human.output.split())  # rich may wrap long lines
    regex_messages = [m for m in messages if "[a-z]" in m]
    assert regex_messages, messages
    for message in regex_messages:
        assert " ".join(message.split()) in flat
    assert "[bold]nope[/bold]" in flat


def test_local_down_speaks_json_when_nothing_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLOPS_LOCAL_STATE_DIR", str(tmp_path / "state"))
    result = runner.invoke(app, ["local", "down", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["stopped"] is False and document["pid"] is None and "no local cloud" in document["message"]


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("project: demo\n", "environments"),  # no environments: never "all valid"
        ("project: [\n", "line 2, column 1"),  # not YAML
        (None, "<file>"),  # no file
    ],
)
def test_validate_all_reports_a_file_it_cannot_validate(tmp_path: Path, text: str | None, path: str) -> None:
    config_file = tmp_path / "mlops.yaml"
    if text is not None:
        config_file.write_text(text)
    result = runner.invoke(app, ["-f", str(config_file), "config", "validate", "--all", "--json"])
    assert result.exit_code == 2, result.output
    document = json.loads(result.output)
    assert document["valid"] is False
    [problems] = document["environments"].values()
    assert [p["path"] for p in problems] == [path]


def test_validate_all_lists_every_environments_problems(tmp_path: Path) -> None:
    document = yaml.safe_load(EXAMPLE.read_text())
    document["ci"] = {"repository": "acme/ml"}
    document["environments"]["dev"]["ci"] = {"deploy_branch": "main", "deploy_environment": "prod"}
    document["environments"]["prod"]["ci"] = {"max_session_hours": 0}
    document["environments"]["prod"]["deployment"]["instance_count"] = 0
    path = tmp_path / "mlops.yaml"
    path.write_text(yaml.safe_dump(document))
    result = runner.invoke(app, ["-f", str(path), "config", "validate", "--all", "--json"])
    assert result.exit_code == 2, result.output
    found = {
        name: {p["path"] for p in problems} for name, problems in json.loads(result.output)["environments"].items()
    }
    assert found == {
        "dev": {"ci"},
        "prod": {"ci", "ci.max_session_hours", "deployment.instance_count"},
    }
