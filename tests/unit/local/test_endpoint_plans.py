"""Blue/green plans (mlops.local.endpoint_updates) and data capture records (mlops.local.data_capture)."""

from datetime import UTC, datetime

import pytest

from mlops.local import data_capture, endpoint_updates


def routing(kind: str, **extra: object) -> dict[str, object]:
    return {
        "BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": {"Type": kind, "WaitIntervalInSeconds": 600, **extra}}
    }


def test_canary_linear_and_all_at_once_steps() -> None:
    canary = endpoint_updates.plan(routing("CANARY", CanarySize={"Type": "CAPACITY_PERCENT", "Value": 10}), 1, 0.02)
    assert canary.steps == [10, 100]
    assert canary.bake_seconds == pytest.approx(12.0)
    linear = endpoint_updates.plan(routing("LINEAR", LinearStepSize={"Type": "CAPACITY_PERCENT", "Value": 30}), 1, 1.0)
    assert linear.steps == [30, 60, 90, 100]
    by_count = endpoint_updates.plan(routing("CANARY", CanarySize={"Type": "INSTANCE_COUNT", "Value": 1}), 4, 1.0)
    assert by_count.steps == [25, 100]
    assert endpoint_updates.plan(routing("ALL_AT_ONCE"), 1, 1.0).steps == [100]


def test_no_deployment_config_is_all_at_once_without_baking() -> None:
    plan = endpoint_updates.plan(None, 1, 0.02)
    assert plan.steps == [100] and plan.bake_seconds == 0 and plan.alarm_names == []


def test_alarms_and_waits_are_read() -> None:
    config = routing("ALL_AT_ONCE")
    config["BlueGreenUpdatePolicy"].update(TerminationWaitInSeconds=300, MaximumExecutionTimeoutInSeconds=1800)  # type: ignore[attr-defined]
    config["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": "a"}, {"AlarmName": "b"}]}
    plan = endpoint_updates.plan(config, 1, 0.02)
    assert plan.alarm_names == ["a", "b"]
    assert plan.termination_wait_seconds == pytest.approx(6.0)
    assert plan.max_execution_seconds == pytest.approx(36.0)


@pytest.mark.parametrize(
    "config",
    [
        routing("CANARY"),
        routing("SIDEWAYS"),
        routing("LINEAR", LinearStepSize={"Type": "CAPACITY_PERCENT", "Value": 0}),
    ],
)
def test_invalid_routing_is_refused(config: dict[str, object]) -> None:
    with pytest.raises(endpoint_updates.DeploymentConfigError):
        endpoint_updates.plan(config, 1, 1.0)


def test_the_split_sends_exactly_the_share_to_the_new_fleet() -> None:
    split = endpoint_updates.FleetSplit()
    split.set(10)
    assert sum(split.to_new() for _ in range(100)) == 10
    split.set(100)
    assert all(split.to_new() for _ in range(10))
    split.set(0)
    assert not any(split.to_new() for _ in range(10))


def test_sampling_is_deterministic() -> None:
    assert all(data_capture.sampled(n, 100) for n in range(1, 50))
    assert sum(data_capture.sampled(n, 20) for n in range(1, 101)) == 20
    assert not any(data_capture.sampled(n, 0) for n in range(1, 20))


def test_capture_record_and_key_layout() -> None:
    settings = data_capture.CaptureSettings.from_config(
        {
            "DestinationS3Uri": "s3://bucket/capture/",
            "InitialSamplingPercentage": 100,
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
            "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"], "JsonContentTypes": ["application/json"]},
        }
    )
    assert settings is not None
    at = datetime(2026, 3, 4, 5, 6, 7, 890000, tzinfo=UTC)
    record = data_capture.record(
        settings,
        request=b"1,2",
        request_type="text/csv",
        response=b"\x00\x01",
        response_type="application/octet-stream",
        inference_id="i-1",
        at=at,
    )
    assert record["captureData"]["endpointInput"] == {
        "observedContentType": "text/csv",
        "mode": "INPUT",
        "data": "1,2",
        "encoding": "CSV",
    }
    assert record["captureData"]["endpointOutput"]["encoding"] == "BASE64"
    assert record["captureData"]["endpointOutput"]["data"] == "AAE="
    assert record["eventMetadata"]["inferenceId"] == "i-1"
    assert record["eventMetadata"]["inferenceTime"] == "2026-03-04T05:06:07Z"
    assert record["eventVersion"] == "0"
    key = data_capture.object_key("capture", "ep", "AllTraffic", at)
    assert key.startswith("capture/ep/AllTraffic/2026/03/04/05/06-07-890-") and key.endswith(".jsonl")


def test_capture_off_or_input_only() -> None:
    assert data_capture.CaptureSettings.from_config({"EnableCapture": False, "DestinationS3Uri": "s3://b/p"}) is None
    only_input = data_capture.CaptureSettings.from_config(
        {"DestinationS3Uri": "s3://b/p", "InitialSamplingPercentage": 5, "CaptureOptions": [{"CaptureMode": "Input"}]}
    )
    assert only_input is not None and only_input.capture_input and not only_input.capture_output
    record = data_capture.record(
        only_input,
        request=b"{}",
        request_type="application/json",
        response=b"",
        response_type=None,
        inference_id=None,
        at=datetime.now(UTC),
    )
    assert set(record["captureData"]) == {"endpointInput"}
    assert record["captureData"]["endpointInput"]["encoding"] == "BASE64"  # no content type header: base64
