"""Where everything lives in the platform's two buckets: the one place for S3 prefixes and keys.

Constructs (IAM grants, event patterns), adapters and tests import these; no other module
spells a prefix.

Data lake (`<prefix>-data-...`):
  incoming/<dataset>/...                    uploads, exactly as the user sent them (never altered)
  objects/<dataset>/<sha256><suffix>        accepted objects, content-addressed, written once
  versions/<dataset>/<version id>.json      data-version manifests, written once
  reports/<dataset>/<upload id>/...         validation reports and the upload's outcome
  quarantine/<dataset>/<upload id>/...      copies of rejected uploads + report.json

Artifacts (`<prefix>-artifacts-...`):
  runs/<job>/train.manifest                 the SageMaker manifest a training run reads
  models/<dataset>/<job>/output/model.tar.gz
  checkpoints/<job>/                        spot checkpoints
  evaluations/<job>/evaluation.json
  data-capture/<endpoint>/<variant>/<yyyy>/<mm>/<dd>/<hh>/<file>.jsonl   endpoint data capture
  labels/<dataset>/<yyyy>/<mm>/<dd>/<stamp>-<sha>.jsonl   ground truth pushed for captured predictions
  reports/drift/<dataset>/<stamp>/report.json|.html       scheduled drift and model-quality checks
  batch/<dataset>/<batch id>/               one batch transform over a data version (serving):
    input/<part>.manifest                     the SageMaker manifest of one transform job's objects
    predictions/<sha256><suffix>.out          one line per data row of each object, in input order
    record.json                               which model and data version produced them
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import PurePosixPath

# data lake
INCOMING = "incoming/"
OBJECTS = "objects/"
VERSIONS = "versions/"
REPORTS = "reports/"
QUARANTINE = "quarantine/"
# artifacts
RUNS = "runs/"
MODELS = "models/"
CHECKPOINTS = "checkpoints/"
EVALUATIONS = "evaluations/"
DATA_CAPTURE = "data-capture/"
BATCH = "batch/"
LABELS = "labels/"
DRIFT_REPORTS = "reports/drift/"
#: a check's report names: its start time, sortable, and safe in a key
REPORT_STAMP_FORMAT = "%Y%m%dT%H%M%SZ"

COMMIT_MARKER = "_COMMIT"
SUPPORTED_SUFFIXES = (".csv", ".csv.gz", ".parquet")

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def suffix_of(file_name: str) -> str:
    """The suffix that names a format: `.csv.gz` counts as one; '' when there is none."""
    name = PurePosixPath(file_name).name.lower()
    return ".csv.gz" if name.endswith(".csv.gz") else PurePosixPath(name).suffix


def content_key(dataset: str, sha256: str, source_key: str) -> str:
    """The immutable key of an accepted object: its bytes name it. The suffix is kept because
    readers (the training script, SageMaker channels) pick the format by it."""
    if not _SHA256.match(sha256):
        raise ValueError(f"not a sha256 hex digest: {sha256!r}")
    return f"{OBJECTS}{dataset}/{sha256}{suffix_of(source_key)}"


def manifest_key(dataset: str, version_id: str) -> str:
    return f"{VERSIONS}{dataset}/{version_id}.json"


def report_prefix(dataset: str, upload_id: str) -> str:
    return f"{REPORTS}{dataset}/{upload_id}/"


def outcome_key(dataset: str, upload_id: str) -> str:
    return f"{report_prefix(dataset, upload_id)}outcome.json"


def quarantine_prefix(dataset: str, upload_id: str) -> str:
    return f"{QUARANTINE}{dataset}/{upload_id}/"


def incoming_key(dataset: str, name: str) -> str:
    return f"{INCOMING}{dataset}/{name}"


def training_manifest_key(job_name: str) -> str:
    return f"{RUNS}{job_name}/train.manifest"


def model_output_prefix(dataset: str) -> str:
    return f"{MODELS}{dataset}/"


def checkpoint_prefix(job_name: str) -> str:
    return f"{CHECKPOINTS}{job_name}/"


def evaluation_prefix(job_name: str) -> str:
    return f"{EVALUATIONS}{job_name}"


def batch_prefix(dataset: str, batch_id: str) -> str:
    return f"{BATCH}{dataset}/{batch_id}/"


def batch_manifest_key(dataset: str, batch_id: str, part: str) -> str:
    return f"{batch_prefix(dataset, batch_id)}input/{part}.manifest"


def batch_predictions_prefix(dataset: str, batch_id: str) -> str:
    return f"{batch_prefix(dataset, batch_id)}predictions/"


def batch_record_key(dataset: str, batch_id: str) -> str:
    return f"{batch_prefix(dataset, batch_id)}record.json"


def dataset_objects_prefix(dataset: str) -> str:
    """Where a dataset's content-addressed objects live (the prefix of its SageMaker manifests)."""
    return f"{OBJECTS}{dataset}/"


def capture_prefix(endpoint: str, variant: str = "AllTraffic") -> str:
    """Where SageMaker writes one variant's captured requests (`<prefix><yyyy>/<mm>/<dd>/<hh>/...`)."""
    return f"{DATA_CAPTURE}{endpoint}/{variant}/"


def capture_hour_prefix(endpoint: str, hour: datetime, variant: str = "AllTraffic") -> str:
    return f"{capture_prefix(endpoint, variant)}{hour:%Y/%m/%d/%H}/"


def labels_prefix(dataset: str) -> str:
    return f"{LABELS}{dataset}/"


def labels_key(dataset: str, pushed_at: datetime, sha256: str) -> str:
    return f"{labels_prefix(dataset)}{pushed_at:%Y/%m/%d}/{pushed_at:{REPORT_STAMP_FORMAT}}-{sha256[:16]}.jsonl"


def drift_reports_prefix(dataset: str) -> str:
    return f"{DRIFT_REPORTS}{dataset}/"


def drift_report_prefix(dataset: str, checked_at: datetime) -> str:
    return f"{drift_reports_prefix(dataset)}{checked_at:{REPORT_STAMP_FORMAT}}/"


def s3_uri(bucket: str, key: str) -> str:
    return f"s3://{bucket}/{key}"


def split_s3_uri(uri: str) -> tuple[str, str]:
    """`s3://bucket/key` -> (bucket, key); `s3://bucket` names the whole bucket (key "")."""
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    if not uri.startswith("s3://") or not bucket:
        raise ValueError(f"not an s3://bucket/key URI: {uri!r}")
    return bucket, key
