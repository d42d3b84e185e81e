"""`mlops serve status`'s view of an endpoint (mlops/serving/endpoint_status.py), from canned answers."""

from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from mlops import config as config_module
from mlops.cli.serve_endpoint_cmd import status_view
from mlops.serving import naming
from mlops.serving.endpoint_status import MISSING_ALARM, endpoint_view

CONFIG = config_module.load(Path(__file__).resolve().parents[3] / "mlops.yaml", "dev")
DATASET = "breast-cancer"
NAME = naming.endpoint(CONFIG.prefix, DATASET)
OLD = naming.endpoint_config(CONFIG.prefix, DATASET, 3, "deploy-a")
NEW = naming.endpoint_config(CONFIG.prefix, DATASET, 4, "deploy-b")
STARTED = datetime(2026, 1, 1, tzinfo=UTC)


def variant(weight: float, desired: float, instances: int, status: str | None = None) -> dict[str, object]:
    found: dict[str, object] = {
        "VariantName": "AllTraffic",
        "CurrentWeight": weight,
        "DesiredWeight": desired,
        "CurrentInstanceCount": instances,
        "DesiredInstanceCount": 2,
    }
    if status:
        found["VariantStatus"] = [{"Status": status, "StartTime": STARTED}]
    return found


def test_an_update_in_progress_shows_its_target_version_and_traffic_split() -> None:
    described = {
        "EndpointName": NAME,
        "EndpointStatus": "Updating",
        "EndpointConfigName": OLD,
        "ProductionVariants": [variant(9, 0, 2)],
        "PendingDeploymentSummary": {
            "EndpointConfigName": NEW,
            "StartTime": STARTED,
            "ProductionVariants": [variant(1, 10, 1, "Baking")],
        },
    }
    [first_alarm, *_] = [a for a in CONFIG.deployment.alarms]
    alarm_name = naming.alarm(CONFIG.prefix, DATASET, first_alarm.metric)
    alarms = [{"AlarmName": alarm_name, "StateValue": "ALARM", "StateReason": "Threshold Crossed"}]

    view = endpoint_view(CONFIG, DATASET, described, alarms)

    assert (view.status, view.model_version) == ("Updating", 3)
    assert view.update is not None and view.update.model_version == 4
    assert view.update.new_traffic_percent == 10.0
    assert [v.traffic_percent for v in view.variants] == [90.0]
    assert view.update.variants[0].status == ["Baking"]
    states = {a.name: a.state for a in view.alarms}
    assert states[alarm_name] == "ALARM"
    assert len(states) == len(CONFIG.deployment.alarms)
    assert all(state == MISSING_ALARM for name, state in states.items() if name != alarm_name)

    console = Console(width=200, record=True)
    console.print(status_view(view))
    text = console.export_text()
    assert "update in progress" in text and "model v4" in text and "10% on it" in text
    assert "ALARM" in text and "Baking" in text


def test_a_failed_endpoint_shows_the_failure_and_no_update() -> None:
    described = {
        "EndpointName": NAME,
        "EndpointStatus": "Failed",
        "EndpointConfigName": "someone-elses-config",
        "ProductionVariants": [],
        "FailureReason": "The primary container for production variant AllTraffic did not pass the ping health check.",
    }
    view = endpoint_view(CONFIG, DATASET, described, [])
    assert view.model_version is None and view.update is None
    assert view.failure_reason is not None and "ping health check" in view.failure_reason
    console = Console(width=200, record=True)
    console.print(status_view(view))
    assert "last failure: The primary container" in console.export_text()
