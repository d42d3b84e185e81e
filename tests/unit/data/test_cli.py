"""`mlops data validate` through the real entry point (which maps errors to exit codes)."""

import json
import sys
from pathlib import Path

import pytest
import yaml

from mlops.cli.main import main

EXAMPLE = Path(__file__).resolve().parents[3] / "mlops.yaml"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    document = yaml.safe_load(EXAMPLE.read_text())
    document["datasets"] = {
        "tiny": {
            "target": "label",
            "row_count": {"min": 1},
            "columns": [
                {"name": "id", "dtype": "string", "unique": True},
                {"name": "x", "dtype": "float", "min": 0},
                {"name": "label", "dtype": "integer", "allowed_values": [0, 1]},
            ],
        },
        "other": document["datasets"]["breast-cancer"],
    }
    document["drift"]["feature_thresholds"] = {}
    path = tmp_path / "mlops.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def mlops(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["mlops", *args])
    monkeypatch.setenv("COLUMNS", "250")  # no wrapping in rich's boxes
    with pytest.raises(SystemExit) as info:
        main()
    captured = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else 1), captured.out, captured.err


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "data.csv"
    path.write_text(text)
    return path


def test_accepted_file_exits_0(tmp_path: Path, config: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    data = write(tmp_path, "id,x,label\na,1.5,0\nb,2,1\n")
    code, out, _ = mlops(capsys, monkeypatch, "-f", str(config), "data", "validate", str(data), "--dataset", "tiny")
    assert code == 0
    assert "accepted" in out and "2 rows" in out


def test_rejected_file_exits_1_with_a_table_of_failures(tmp_path: Path, config: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    data = write(tmp_path, "id,x,label\na,-1,0\na,2,7\n")
    code, out, _ = mlops(capsys, monkeypatch, "-f", str(config), "data", "validate", str(data), "-d", "tiny")
    assert code == 1
    assert "rejected" in out
    for check in ("unique", "min", "allowed_values"):
        assert check in out


def test_json_output_is_the_summary(tmp_path: Path, config: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    data = write(tmp_path, "id,x,label\na,-1,0\n")
    code, out, _ = mlops(capsys, monkeypatch, "-f", str(config), "data", "validate", str(data), "-d", "tiny", "--json")
    assert code == 1
    summary = json.loads(out)
    assert set(summary) == {"verdict", "rows", "errors", "warnings"}
    assert summary["verdict"] == "rejected" and summary["rows"] == 1
    assert summary["errors"][0] == {
        "check": "min",
        "column": "x",
        "rows": 1,
        "examples": [{"row": 1, "line": None, "value": "-1"}],
        "message": "1 value(s) below the minimum 0",
        "duplicates": None,
    }


def test_structural_errors_exit_1_too(tmp_path: Path, config: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "image.csv"
    data.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    code, out, _ = mlops(capsys, monkeypatch, "-f", str(config), "data", "validate", str(data), "-d", "tiny", "--json")
    assert code == 1
    assert json.loads(out)["errors"][0]["check"] == "structure.not_tabular"


def test_profile_out_writes_the_profile(tmp_path: Path, config: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    data = write(tmp_path, "id,x,label\na,1.5,0\n")
    target = tmp_path / "profile.json"
    code, _, _ = mlops(
        capsys, monkeypatch, "-f", str(config), "data", "validate", str(data), "-d", "tiny",
        "--profile-out", str(target),
    )  # fmt: skip
    assert code == 0
    assert json.loads(target.read_text())["columns"]["x"]["count"] == 1


def test_unknown_dataset_exits_2_listing_the_known_ones(tmp_path: Path, config: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    data = write(tmp_path, "id\n")
    code, _, err = mlops(capsys, monkeypatch, "-f", str(config), "data", "validate", str(data), "-d", "nope")
    assert code == 2
    assert "unknown dataset 'nope'" in err and "other, tiny" in err


def test_missing_file_exits_2(tmp_path: Path, config: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    code, _, err = mlops(
        capsys, monkeypatch, "-f", str(config), "data", "validate", str(tmp_path / "absent.csv"), "-d", "tiny"
    )
    assert code == 2
    assert "does not exist" in err


def test_invalid_config_exits_2(tmp_path: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    broken = tmp_path / "mlops.yaml"
    broken.write_text("project: Not A Slug\n")
    data = write(tmp_path, "id\n")
    code, _, err = mlops(capsys, monkeypatch, "-f", str(broken), "data", "validate", str(data), "-d", "tiny")
    assert code == 2
    assert "invalid config" in err
