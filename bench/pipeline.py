"""A full training pipeline run on the local cloud: wall time, state transitions, Step Functions cost.

    .venv/bin/python bench/pipeline.py [--runs 3]

Starts a private local cloud (`mlops local up`, state in a temporary directory), pushes the
example dataset (scikit-learn's breast-cancer data, 569 rows) as a data version, then runs the
*deployed* training state machine `--runs` times with `mlops --local pipeline run --wait
--json` (the configured hyperparameters: 200 rounds, depth 4), each to a registered model.
Per run:

- wall time: the CLI command, from the start request to the result (resolve -> SageMaker
  training job -> SageMaker processing job -> gate -> register -> record -> notify);
- state transitions: the states the execution entered (what Step Functions Standard bills,
  https://aws.amazon.com/step-functions/pricing/: USD 0.025 per 1,000 transitions, list price);
- the execution history's event count.

Targets on the 2-core reference machine: wall time <= 60 s, transitions <= 40.
The cloud is always stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mlops.example_data import write_csv  # noqa: E402

#: Step Functions Standard workflows, list price per state transition (USD 0.025 per 1,000)
USD_PER_TRANSITION = 0.025 / 1000
MLOPS = [sys.executable, "-m", "mlops.cli.main"]


def mlops(env: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([*MLOPS, *arguments], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if result.returncode not in (0, 1):
        sys.exit(f"mlops {' '.join(arguments)} exited {result.returncode}:\n{result.stderr[-3000:]}")
    return result


def transitions(sfn: Any, execution_arn: str) -> tuple[int, int]:
    events = sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
    return sum(1 for e in events if e["type"].endswith("StateEntered")), len(events)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as state:
        env = os.environ | {
            "MLOPS_LOCAL_STATE_DIR": state,
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": os.environ.get(
                "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20"
            ),
            "CDK_DISABLE_CLI_TELEMETRY": "true",
        }
        env.pop("MLOPS_LOCAL", None)
        try:
            up = json.loads(mlops(env, "local", "up", "--json").stdout)
            sfn = boto3.client(
                "stepfunctions",
                endpoint_url=up["endpoint"],
                region_name=up["region"],
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )
            data = write_csv(Path(state) / "breast-cancer.csv")
            pushed = json.loads(
                mlops(env, "--local", "data", "push", str(data), "-d", "breast-cancer", "--wait", "--json").stdout
            )
            runs = []
            for _ in range(args.runs):
                started = time.perf_counter()
                result = json.loads(
                    mlops(
                        env,
                        "--local",
                        "pipeline",
                        "run",
                        "-d",
                        "breast-cancer",
                        "--data-version",
                        pushed["version"],
                        "--wait",
                        "--json",
                    ).stdout
                )
                wall = time.perf_counter() - started
                if result["status"] != "SUCCEEDED":
                    sys.exit(f"run failed: {json.dumps(result, indent=2)}")
                entered, events = transitions(sfn, result["execution_arn"])
                runs.append(
                    {
                        "wall_s": round(wall, 2),
                        "outcome": result["outcome"],
                        "transitions": entered,
                        "history_events": events,
                        "auc": result["metrics"].get("auc"),
                        "training_billable_s": result["record"]["billable_seconds"],
                    }
                )
        finally:
            subprocess.run([*MLOPS, "local", "down"], cwd=ROOT, env=env, capture_output=True, check=False)
    walls = [r["wall_s"] for r in runs]
    most = max(r["transitions"] for r in runs)
    report = {
        "runs": runs,
        "wall_s": {"median": round(statistics.median(walls), 2), "max": max(walls)},
        "transitions_per_run": most,
        "step_functions_usd_per_run": round(most * USD_PER_TRANSITION, 6),
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
    }
    print(json.dumps(report, indent=2))
    print(
        "\n| measure | value | target |\n|---|---|---|\n"
        f"| wall time of a full run (median of {len(runs)}) | {report['wall_s']['median']} s | <= 60 s |\n"
        f"| state transitions per successful run | {most} | <= 40 |\n"
        f"| Step Functions cost per run (list price) | ${report['step_functions_usd_per_run']:.6f} | - |"
    )


if __name__ == "__main__":
    main()
