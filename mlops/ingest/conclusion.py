"""Ingestion's conclusion: the per-object results of one upload become a data version (manifest,
content-addressed objects, registry record, event) or a quarantine. Over adapters (testable
against moto)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from mlops.adapters.events import DomainEventPublisher
from mlops.adapters.s3 import ObjectStore
from mlops.config import ProjectConfig
from mlops.data import DatasetProfile, ValidationReport, schema_hash
from mlops.data.accumulators import merge_profiles
from mlops.ingest.manifest import Manifest, ManifestObject, content_version_id
from mlops.ingest.models import ObjectResult, Outcome, Plan
from mlops.layout import content_key, manifest_key, outcome_key, quarantine_prefix
from mlops.registry.data_versions import DataVersionRegistry, NewDataVersion

DATA_VERSION_CREATED = "DataVersionCreated"
DATA_REJECTED = "DataRejected"


__all__ = ["DATA_REJECTED", "DATA_VERSION_CREATED", "Concluder"]


class Concluder:
    """Turns the per-object results of one upload into a data version or a quarantine."""

    def __init__(
        self,
        config: ProjectConfig,
        store: ObjectStore,
        registry: DataVersionRegistry,
        events: DomainEventPublisher,
    ) -> None:
        self._config = config
        self._store = store
        self._registry = registry
        self._events = events

    def conclude(self, plan: Plan, results: Sequence[ObjectResult]) -> Outcome:
        reports = {
            r.key: ValidationReport.model_validate(self._store.get_json(plan.bucket, r.report_key)) for r in results
        }
        rejected = bool(plan.problems) or any(r.verdict == "rejected" for r in results)
        outcome = self._quarantine(plan, results, reports) if rejected else self._accept(plan, results, reports)
        self._store.put_json(plan.bucket, outcome_key(plan.dataset, plan.upload_id), outcome.model_dump(mode="json"))
        return outcome

    def _accept(self, plan: Plan, results: Sequence[ObjectResult], reports: dict[str, ValidationReport]) -> Outcome:
        dataset = self._config.datasets[plan.dataset]
        schema = schema_hash(dataset)
        version_id = content_version_id([r.sha256 for r in results], schema)
        profile: DatasetProfile | None = None
        for result in sorted(results, key=lambda r: r.key):
            part = reports[result.key].profile
            if part is not None:
                profile = part if profile is None else merge_profiles(profile, part)
        objects = [
            ManifestObject(
                key=r.key,
                version_id=r.version_id,
                content_key=self._store_content_addressed(plan, r),
                sha256=r.sha256,
                bytes=r.bytes,
                rows=r.rows,
            )
            for r in sorted(results, key=lambda r: r.key)
        ]
        manifest = Manifest(
            dataset=plan.dataset,
            version_id=version_id,
            schema_hash=schema,
            objects=objects,
            rows=sum(r.rows for r in results),
            bytes=sum(r.bytes for r in results),
            profile=profile.model_dump(mode="json") if profile is not None else {},
            created_at=plan.received_at or datetime.now(UTC),
            created_by=plan.requester,
            upload_id=plan.upload_id,
        )
        key = manifest_key(plan.dataset, version_id)
        if not self._store.put_json_once(plan.bucket, key, manifest.model_dump(mode="json")):
            manifest = Manifest.model_validate(self._store.get_json(plan.bucket, key))  # first writer wins
        uri = f"s3://{plan.bucket}/{key}"
        record, created = self._registry.register(
            NewDataVersion(
                dataset=plan.dataset,
                version_id=version_id,
                manifest_uri=uri,
                schema_hash=schema,
                rows=manifest.rows,
                objects=len(manifest.objects),
                bytes=manifest.bytes,
                created_at=manifest.created_at,
                created_by=manifest.created_by,
                upload_id=manifest.upload_id,
            )
        )
        if created:
            self._events.publish(DATA_VERSION_CREATED, record.model_dump(mode="json") | {"name": record.name})
        what = "new data version" if created else "identical to existing version"
        return Outcome(
            verdict="accepted",
            dataset=plan.dataset,
            upload_id=plan.upload_id,
            version=record.name,
            version_id=version_id,
            manifest_uri=uri,
            report_uri=f"s3://{plan.bucket}/{outcome_key(plan.dataset, plan.upload_id)}",
            created=created,
            rows=record.rows,
            message=f"{plan.upload_key}: accepted as {record.ref} ({what}, {record.rows} rows)",
        )

    def _store_content_addressed(self, plan: Plan, result: ObjectResult) -> str:
        """Copy the validated object version, once, to the key its sha256 names. Identical bytes
        land on the same key (stored once); what happens under `incoming/` later cannot change
        it, so the data version stays trainable (SageMaker reads the current object of a key)."""
        key = content_key(plan.dataset, result.sha256, result.key)
        self._store.copy_once(plan.bucket, result.key, result.version_id, key)
        return key

    def _quarantine(self, plan: Plan, results: Sequence[ObjectResult], reports: dict[str, ValidationReport]) -> Outcome:
        prefix = quarantine_prefix(plan.dataset, plan.upload_id)
        for obj in plan.items:
            relative = obj.key.split("/", 2)[-1]  # drop "incoming/<dataset>/"
            self._store.copy_version(plan.bucket, obj.key, obj.version_id, f"{prefix}{relative}")
        errors: list[dict[str, Any]] = list(plan.problems)
        for result in results:
            for failure in reports[result.key].errors:
                errors.append({"key": result.key} | failure.model_dump(mode="json"))
        report = {
            "verdict": "rejected",
            "dataset": plan.dataset,
            "upload_id": plan.upload_id,
            "upload_key": plan.upload_key,
            "requester": plan.requester,
            "received_at": plan.received_at,
            "objects": [r.model_dump(mode="json") for r in results],
            "errors": errors,
            "quarantine_prefix": f"s3://{plan.bucket}/{prefix}",
        }
        report_key = f"{prefix}report.json"
        self._store.put_json(plan.bucket, report_key, report)
        self._events.publish(
            DATA_REJECTED,
            {
                "dataset": plan.dataset,
                "upload_id": plan.upload_id,
                "upload_key": plan.upload_key,
                "errors": len(errors),
                "report_uri": f"s3://{plan.bucket}/{report_key}",
            },
        )
        first = errors[0]["message"] if errors else "no detail"
        return Outcome(
            verdict="rejected",
            dataset=plan.dataset,
            upload_id=plan.upload_id,
            report_uri=f"s3://{plan.bucket}/{report_key}",
            rows=sum(r.rows for r in results),
            message=f"{plan.upload_key}: rejected with {len(errors)} problem(s); first: {first}",
        )
