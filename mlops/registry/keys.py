"""The registry table's keys and indexes: the one place they are spelled.

The table construct (stacks/constructs/registry.py), the adapters and the tests import these.

  pk                         sk                     what
  DATASET#<name>             VERSION#<content id>   a data version (immutable)
  DATASET#<name>             SEQ#<000042>           the same record, by sequence name
  DATASET#<name>             COUNTER                the dataset's last sequence number
  RUN#<execution name>       RUN                    a training run record
  RUNKEY#<dataset>           <run key>              the package registered for a run key (unchanged reruns)
  DEPLOY#<dataset>           <started at>#<id>      a deployment (mlops/serving/models.py)
  SERVING#<dataset>          CURRENT | LOCK         what the endpoint serves; the deployment in progress
  MONITOR#<dataset>          WATERMARK              where the last scheduled check's capture window ended
  MONITOR#<dataset>          CHECK#<at>#<id>        one drift/quality check (mlops/monitoring/models.py)
  MONITOR#<dataset>          TRIGGER#<at>#<id>      a retraining guard decision: started or suppressed, why
  (GSI1) gsi1pk = RUNS#<dataset>, gsi1sk = <started at>#<execution name>: runs by time
"""

from __future__ import annotations

PARTITION_KEY = "pk"
SORT_KEY = "sk"
RUNS_INDEX = "gsi1"
RUNS_INDEX_PARTITION_KEY = "gsi1pk"
RUNS_INDEX_SORT_KEY = "gsi1sk"

SEQUENCE_WIDTH = 6
VERSION_PREFIX = "VERSION#"
SEQUENCE_PREFIX = "SEQ#"
COUNTER = "COUNTER"
RUN_PREFIX = "RUN#"
RUN_SORT_KEY = "RUN"
RUNS_PREFIX = "RUNS#"
RUN_KEY_PREFIX = "RUNKEY#"
DEPLOY_PREFIX = "DEPLOY#"
SERVING_PREFIX = "SERVING#"
SERVING_CURRENT = "CURRENT"
SERVING_LOCK = "LOCK"
MONITOR_PREFIX = "MONITOR#"
MONITOR_WATERMARK = "WATERMARK"
CHECK_PREFIX = "CHECK#"
TRIGGER_PREFIX = "TRIGGER#"


def dataset_pk(dataset: str) -> str:
    return f"DATASET#{dataset}"


def version_sk(version_id: str) -> str:
    return f"{VERSION_PREFIX}{version_id}"


def sequence_sk(sequence: int) -> str:
    return f"{SEQUENCE_PREFIX}{sequence:0{SEQUENCE_WIDTH}d}"


def run_pk(execution_name: str) -> str:
    return f"{RUN_PREFIX}{execution_name}"


def runs_pk(dataset: str) -> str:
    return f"{RUNS_PREFIX}{dataset}"


def runs_sk(started_at_iso: str, execution_name: str) -> str:
    return f"{started_at_iso}#{execution_name}"


def run_key_pk(dataset: str) -> str:
    return f"{RUN_KEY_PREFIX}{dataset}"


def deployments_pk(dataset: str) -> str:
    return f"{DEPLOY_PREFIX}{dataset}"


def deployment_sk(started_at_iso: str, deployment_id: str) -> str:
    return f"{started_at_iso}#{deployment_id}"


def serving_pk(dataset: str) -> str:
    return f"{SERVING_PREFIX}{dataset}"


def monitor_pk(dataset: str) -> str:
    return f"{MONITOR_PREFIX}{dataset}"


def check_sk(at_iso: str, check_id: str) -> str:
    return f"{CHECK_PREFIX}{at_iso}#{check_id}"


def trigger_sk(at_iso: str, trigger_id: str) -> str:
    return f"{TRIGGER_PREFIX}{at_iso}#{trigger_id}"
