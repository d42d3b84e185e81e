"""A local SageMaker endpoint serving a real model: latency, throughput, deployment and rollback times.

    .venv/bin/python bench/endpoint.py [--seconds 60] [--requests 500]

Starts a private local cloud server (`python -m mlops.local.server`, as the tests do), trains
the example model with `training/train.py` (569 rows, 50 rounds), uploads model.tar.gz and
sourcedir.tar.gz, and through boto3 only:

- first deployment: CreateEndpoint -> InService (download, extract, start the model server,
  load the model, first `/ping`);
- latency of InvokeEndpoint, p50/p99 over `--requests` single-row and `--requests // 5`
  100-row CSV requests, one client, measured around the boto3 call (the HTTP hop to the
  server, routing, the model server, metrics and data capture at 100% included);
- requests per second: single-row invocations in a loop for `--seconds` (one client);
- canary update: UpdateEndpoint (CANARY 10%, WaitIntervalInSeconds 300, compressed by
  MLOPS_LOCAL_WAIT_SCALE, default 0.02: 6 s) -> InService on the new config;
- rollback: a canary of a broken model version (its predict_fn raises) under traffic with a
  5XX alarm (Sum > 0 over one 60 s period, 1.2 s locally) in its AutoRollbackConfiguration:
  from the first failed invocation to the alarm's ALARM timestamp, and from that timestamp to
  the endpoint `InService` on the old config (all traffic on the old version).

The server is always stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mlops.example_data import ID_COLUMN, TARGET_COLUMN, breast_cancer_frame  # noqa: E402
from mlops.local import process  # noqa: E402
from tests import hosting  # noqa: E402

BUCKET = "bench-endpoint"
NAME = "bench"


def client(url: str, service: str) -> Any:
    return boto3.client(
        service, endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )


def settle(sm: Any, name: str, timeout: float = 300) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        described: dict[str, Any] = sm.describe_endpoint(EndpointName=name)
        if described["EndpointStatus"] not in {"Creating", "Updating", "RollingBack"}:
            return described
        time.sleep(0.02)
    sys.exit(f"endpoint {name} did not settle in {timeout} s")


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def config(sm: Any, model_uri: str, code_uri: str, capture: str | None) -> str:
    name = f"{NAME}-{uuid.uuid4().hex[:8]}"
    hosting.create_model(sm, name, model_uri, code_uri)
    hosting.create_endpoint_config(sm, name, name, capture_uri=capture)
    return name


def canary(wait: int, alarms: list[str] | None = None) -> dict[str, Any]:
    deployment: dict[str, Any] = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {
                "Type": "CANARY",
                "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10},
                "WaitIntervalInSeconds": wait,
            },
            "TerminationWaitInSeconds": 0,
        }
    }
    if alarms:
        deployment["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": a} for a in alarms]}
    return deployment


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the throughput loop")
    parser.add_argument("--requests", type=int, default=500, help="single-row requests for the latency percentiles")
    args = parser.parse_args()
    scale = float(os.environ.get("MLOPS_LOCAL_WAIT_SCALE", "0.02"))
    results: dict[str, Any] = {"wait_scale": scale}
    with tempfile.TemporaryDirectory(prefix="bench-endpoint-") as scratch:
        work = Path(scratch)
        port = process.free_port("localhost")
        url = process.endpoint_url("localhost", port)
        server = process.start("localhost", port, work / "server.log", cwd=ROOT)
        try:
            process.wait_until_answering(server, url, work / "server.log", timeout=60)
            s3, sm, runtime = client(url, "s3"), client(url, "sagemaker"), client(url, "sagemaker-runtime")
            s3.create_bucket(Bucket=BUCKET)
            model_dir = hosting.train_model(work / "train", num_round=50)
            s3.put_object(Bucket=BUCKET, Key="model.tar.gz", Body=hosting.model_archive(model_dir))
            s3.put_object(Bucket=BUCKET, Key="good.tar.gz", Body=hosting.source_archive())
            s3.put_object(Bucket=BUCKET, Key="bad.tar.gz", Body=hosting.source_archive(broken=True))
            model_uri, capture = f"s3://{BUCKET}/model.tar.gz", f"s3://{BUCKET}/capture"
            good, bad = f"s3://{BUCKET}/good.tar.gz", f"s3://{BUCKET}/bad.tar.gz"

            blue = config(sm, model_uri, good, capture)
            started = time.perf_counter()
            sm.create_endpoint(EndpointName=NAME, EndpointConfigName=blue)
            described = settle(sm, NAME)
            results["first_deployment_s"] = round(time.perf_counter() - started, 2)
            assert described["EndpointStatus"] == "InService", described.get("FailureReason")

            features = breast_cancer_frame().drop(columns=[ID_COLUMN, TARGET_COLUMN])
            one = features.head(1).to_csv(index=False, header=False)
            hundred = features.head(100).to_csv(index=False, header=False)

            def invoke(body: str) -> float:
                begun = time.perf_counter()
                runtime.invoke_endpoint(EndpointName=NAME, Body=body, ContentType="text/csv")["Body"].read()
                return (time.perf_counter() - begun) * 1000

            for _ in range(20):  # warm the connections and the model server
                invoke(one)
            single = [invoke(one) for _ in range(args.requests)]
            results["single_row_ms_p50_p99"] = [round(v, 2) for v in percentiles(single)]
            batch = [invoke(hundred) for _ in range(max(args.requests // 5, 20))]
            results["hundred_rows_ms_p50_p99"] = [round(v, 2) for v in percentiles(batch)]
            count, loop_start = 0, time.perf_counter()
            while time.perf_counter() - loop_start < args.seconds:
                invoke(one)
                count += 1
            results["requests_per_second"] = round(count / (time.perf_counter() - loop_start), 1)
            results["throughput_loop_s"] = args.seconds
            # of which the model server itself (input_fn -> predict_fn -> output_fn and its HTTP hop)
            latency = client(url, "cloudwatch").get_metric_statistics(
                Namespace="AWS/SageMaker",
                MetricName="ModelLatency",
                Dimensions=[{"Name": "EndpointName", "Value": NAME}, {"Name": "VariantName", "Value": "AllTraffic"}],
                StartTime=datetime.fromtimestamp(0, UTC),
                EndTime=datetime.now(UTC),
                Period=86400 * 365,
                Statistics=["Average"],
            )["Datapoints"]
            results["model_latency_ms_average"] = round(latency[0]["Average"] / 1000, 2) if latency else None

            green = config(sm, model_uri, good, capture)
            started = time.perf_counter()
            sm.update_endpoint(EndpointName=NAME, EndpointConfigName=green, DeploymentConfig=canary(300))
            described = settle(sm, NAME)
            results["canary_update_s"] = round(time.perf_counter() - started, 2)
            results["canary_update_bake_as_deployed_s"] = 300
            assert described["EndpointConfigName"] == green, described

            cloudwatch = client(url, "cloudwatch")
            alarm = f"{NAME}-Invocation5XXErrors"
            cloudwatch.put_metric_alarm(
                AlarmName=alarm,
                Namespace="AWS/SageMaker",
                MetricName="Invocation5XXErrors",
                Dimensions=[{"Name": "EndpointName", "Value": NAME}, {"Name": "VariantName", "Value": "AllTraffic"}],
                Statistic="Sum",
                Period=60,
                EvaluationPeriods=1,
                Threshold=0,
                ComparisonOperator="GreaterThanThreshold",
                TreatMissingData="notBreaching",
            )
            broken = config(sm, model_uri, bad, capture)
            sm.update_endpoint(EndpointName=NAME, EndpointConfigName=broken, DeploymentConfig=canary(600, [alarm]))
            first_failure: datetime | None = None
            while True:
                try:
                    runtime.invoke_endpoint(EndpointName=NAME, Body=one, ContentType="text/csv")
                except runtime.exceptions.ModelError:
                    first_failure = first_failure or datetime.now(UTC)
                described = sm.describe_endpoint(EndpointName=NAME)
                if described["EndpointStatus"] == "InService":
                    rolled_back = datetime.now(UTC)
                    break
            assert described["EndpointConfigName"] == green and alarm in described.get("FailureReason", ""), described
            fired = cloudwatch.describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]["StateUpdatedTimestamp"]
            if first_failure is not None:
                # the metric is emitted before the failed invocation answers: ~0 or slightly negative
                results["failure_to_alarm_s"] = round((fired - first_failure).total_seconds(), 2)
            results["alarm_to_old_version_serving_all_s"] = round((rolled_back - fired).total_seconds(), 2)
        finally:
            process.stop(server.pid)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
