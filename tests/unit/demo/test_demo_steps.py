"""The demo's runner stops at the first step that did not happen and names it; the shifted
batch is valid data that moved; the broken model's code differs only by a raising predict_fn."""

from __future__ import annotations

import io
import tarfile

import pytest

from mlops import config as config_module
from mlops.data import validate_file
from mlops.demo.lifecycle import SHIFT_FACTOR, _break, shifted, until
from mlops.demo.runner import DemoStepError, Step, run
from mlops.example_data import breast_cancer_frame
from tests.conftest import REPO_ROOT


def test_the_first_failing_step_is_named_and_the_rest_are_not_run() -> None:
    ran: list[str] = []

    def step(name: str, fail: bool = False) -> Step:
        def body() -> str:
            ran.append(name)
            if fail:
                raise DemoStepError(f"{name} did not happen")
            return f"{name} done"

        return Step(name, body)

    summary = run([step("a"), step("b", fail=True), step("c")], live=False)
    assert not summary.passed and ran == ["a", "b"]
    assert [(s.title, s.status) for s in summary.steps] == [("a", "done"), ("b", "failed"), ("c", "skipped")]
    assert summary.steps[1].detail == "DemoStepError: b did not happen"


def test_until_names_what_did_not_happen() -> None:
    with pytest.raises(DemoStepError, match="the endpoint did not happen within 0 s"):
        until(lambda: None, timeout=0, what="the endpoint")
    assert until(lambda: 3, timeout=0, what="x") == 3


def test_the_shifted_batch_is_accepted_and_moves_only_the_size_measures(tmp_path: object) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    original = breast_cancer_frame()
    moved = shifted(original)
    path = folder / "v2.csv"
    moved.to_csv(path, index=False)
    dataset = config_module.load(REPO_ROOT / "mlops.yaml", "dev").datasets["breast-cancer"]
    report = validate_file(path, dataset, file_name="v2.csv", max_uncompressed_bytes=2**30)
    assert report.verdict == "accepted", report.errors
    assert (moved["mean_area"] == original["mean_area"] * SHIFT_FACTOR).all()
    assert (moved["mean_texture"] == original["mean_texture"]).all()
    assert set(moved["sample_id"]).isdisjoint(original["sample_id"])


def test_the_broken_code_only_adds_a_raising_predict_fn() -> None:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for name, data in (("inference.py", b"def model_fn(d):\n    return d\n"), ("train.py", b"x = 1\n")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    with tarfile.open(fileobj=io.BytesIO(_break(out.getvalue())), mode="r:gz") as broken:
        files = {m.name: broken.extractfile(m).read() for m in broken.getmembers()}  # type: ignore[union-attr]
    assert files["train.py"] == b"x = 1\n"
    assert files["inference.py"].startswith(b"def model_fn(d):\n    return d\n")
    namespace: dict[str, object] = {}
    exec(files["inference.py"].decode(), namespace)  # the archive this test just built
    with pytest.raises(RuntimeError, match="broken on purpose"):
        namespace["predict_fn"](None, None)  # type: ignore[operator]
