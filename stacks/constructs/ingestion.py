"""The ingestion workflow: S3 object created under incoming/ -> plan -> validate every object
(Distributed Map, one object per item) -> a new data version, or a quarantine + notification.

Every task retries transient Lambda errors; any failure is caught, notified and ends the
execution in a Fail state with the error name and cause. Uploaded object versions are only
ever read (quarantine is a copy), so nothing the user uploaded is altered or lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aws_cdk import (
    Acknowledgment,
    Duration,
    RemovalPolicy,
    Validations,
)
from aws_cdk import (
    aws_dynamodb as dynamodb,
)
from aws_cdk import (
    aws_events as events,
)
from aws_cdk import (
    aws_events_targets as targets,
)
from aws_cdk import (
    aws_iam as iam,
)
from aws_cdk import (
    aws_kms as kms,
)
from aws_cdk import (
    aws_logs as logs,
)
from aws_cdk import (
    aws_s3 as s3,
)
from aws_cdk import (
    aws_sns as sns,
)
from aws_cdk import (
    aws_stepfunctions as sfn,
)
from aws_cdk import (
    aws_stepfunctions_tasks as tasks,
)
from constructs import Construct

from mlops import layout
from mlops.config import LambdaConfig
from stacks.common import log_retention
from stacks.constructs.grants import grant_key_use, grant_object_read, grant_object_write
from stacks.constructs.python_function import FunctionFactory, ManagedLayer, PythonFunction
from stacks.constructs.workflow import lambda_step, notify_and_fail
from stacks.nag import acknowledge_map_runs, acknowledge_wildcard_resource


@dataclass(frozen=True, kw_only=True)
class IngestionProps:
    prefix: str
    data_lake: s3.IBucket
    key: kms.IKey
    registry: dynamodb.ITableV2
    bus: events.IEventBus
    event_source: str
    topic: sns.ITopic
    lambda_settings: LambdaConfig
    config_json: str
    build_root: Path
    removal_policy: RemovalPolicy
    max_concurrency: int = 20


class Ingestion(Construct):
    def __init__(self, scope: Construct, id_: str, *, props: IngestionProps) -> None:
        super().__init__(scope, id_)

        functions = FunctionFactory(
            prefix=props.prefix,
            settings=props.lambda_settings,
            config_json=props.config_json,
            build_root=props.build_root,
            log_key=props.key,
            removal_policy=props.removal_policy,
        )

        def function(
            name: str,
            package: str,
            description: str,
            layers: tuple[ManagedLayer, ...],
            environment: dict[str, str] | None = None,
        ) -> PythonFunction:
            return functions.create(
                self,
                name,
                package,
                description,
                config_sections=frozenset({"data_lake"}),
                layers=layers,
                environment=environment,
            )

        pandas = (ManagedLayer.POWERTOOLS, ManagedLayer.SDK_PANDAS)
        self.plan_fn = function(
            "PlanFunction",
            "ingest_plan",
            "Decide what an upload is (single file, batch, skip)",
            (ManagedLayer.POWERTOOLS,),
        )
        self.validate_fn = function(
            "ValidateFunction", "ingest_validate", "Validate one uploaded object version", pandas
        )
        self.conclude_fn = function(
            "ConcludeFunction",
            "ingest_conclude",
            "Create the data version, or quarantine the upload",
            pandas,
            environment={
                "REGISTRY_TABLE": props.registry.table_name,
                "EVENT_BUS": props.bus.event_bus_name,
                "EVENT_SOURCE": props.event_source,
            },
        )
        self._grant(props)
        self.state_machine = self._state_machine(props)
        self.rule = events.Rule(
            self,
            "OnUpload",
            description="Every object created under incoming/ starts an ingestion",
            event_pattern=events.EventPattern(
                source=["aws.s3"],
                detail_type=["Object Created"],
                detail={
                    "bucket": {"name": [props.data_lake.bucket_name]},
                    "object": {"key": [{"prefix": layout.INCOMING}]},
                },
            ),
            targets=[targets.SfnStateMachine(self.state_machine, retry_attempts=8, max_event_age=Duration.hours(24))],
        )

    def _grant(self, props: IngestionProps) -> None:
        bucket, key = props.data_lake, props.key
        grant_object_read(bucket, self.plan_fn.role, layout.INCOMING)

        grant_object_read(bucket, self.validate_fn.role, layout.INCOMING)
        grant_object_write(bucket, self.validate_fn.role, layout.REPORTS)
        grant_key_use(key, self.validate_fn.role, encrypt=True)

        conclude = self.conclude_fn.role
        grant_object_read(bucket, conclude, layout.INCOMING)  # source of quarantine and content-addressed copies
        grant_object_read(bucket, conclude, layout.REPORTS)
        grant_object_read(bucket, conclude, layout.VERSIONS)
        grant_object_read(bucket, conclude, layout.OBJECTS)  # does the content-addressed copy exist yet
        grant_object_write(bucket, conclude, layout.REPORTS)
        grant_object_write(bucket, conclude, layout.VERSIONS)
        grant_object_write(bucket, conclude, layout.OBJECTS)
        grant_object_write(bucket, conclude, layout.QUARANTINE)
        grant_key_use(key, conclude, encrypt=True)
        conclude.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "dynamodb:GetItem",
                    "dynamodb:Query",
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:ConditionCheckItem",
                ],
                resources=[props.registry.table_arn],
            )
        )
        props.bus.grant_put_events_to(conclude)

    def _state_machine(self, props: IngestionProps) -> sfn.StateMachine:

        notify_failure = notify_and_fail(
            self,
            props.topic,
            subject="Ingestion failed",
            fail_id="IngestionFailed",
            fallback_error="Mlops.IngestionFailed",
        )

        plan = lambda_step(self, "PlanUpload", self.plan_fn.function, input_path="$.event", result_path="$.plan")
        plan.add_catch(notify_failure, result_path="$.failure")
        plan_step = sfn.Pass(self, "KeepEvent", parameters={"event.$": "$"}).next(plan)

        validate = lambda_step(self, "ValidateObject", self.validate_fn.function)
        validate_all = sfn.DistributedMap(
            self,
            "ValidateObjects",
            items_path="$.plan.items",
            item_selector={
                "dataset.$": "$.plan.dataset",
                "bucket.$": "$.plan.bucket",
                "upload_id.$": "$.plan.upload_id",
                "object.$": "$$.Map.Item.Value",
            },
            max_concurrency=props.max_concurrency,
            result_path="$.results",
            result_selector={"items.$": "$"},
        )
        validate_all.item_processor(validate)
        validate_all.add_catch(notify_failure, result_path="$.failure")

        conclude = lambda_step(
            self,
            "Conclude",
            self.conclude_fn.function,
            payload=sfn.TaskInput.from_object(
                {"plan": sfn.JsonPath.object_at("$.plan"), "results": sfn.JsonPath.list_at("$.results.items")}
            ),
            result_path="$.outcome",
        )
        conclude.add_catch(notify_failure, result_path="$.failure")

        notify_rejected = tasks.SnsPublish(
            self,
            "NotifyRejected",
            topic=props.topic,
            subject="Upload rejected",
            message=sfn.TaskInput.from_json_path_at("$.outcome.message"),
            result_path=sfn.JsonPath.DISCARD,
        )
        notify_rejected.add_catch(notify_failure, result_path="$.failure")
        verdict = (
            sfn.Choice(self, "Verdict")
            .when(sfn.Condition.string_equals("$.outcome.verdict", "accepted"), sfn.Succeed(self, "Accepted"))
            .otherwise(notify_rejected.next(sfn.Succeed(self, "Rejected")))
        )
        conclude.next(verdict)

        no_results = sfn.Pass(
            self, "NothingToValidate", result=sfn.Result.from_object({"items": []}), result_path="$.results"
        ).next(conclude)
        route = (
            sfn.Choice(self, "Route")
            .when(sfn.Condition.string_equals("$.plan.mode", "skip"), sfn.Succeed(self, "Ignored"))
            .when(sfn.Condition.is_present("$.plan.problems[0]"), no_results)
            .otherwise(validate_all.next(conclude))
        )
        definition = plan_step.next(route)

        log_group = logs.LogGroup(
            self,
            "ExecutionLogs",
            log_group_name=f"/aws/vendedlogs/states/{props.prefix}-ingestion",
            retention=log_retention(props.lambda_settings.log_retention_days),
            encryption_key=props.key,
            removal_policy=props.removal_policy,
        )
        machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_name=f"{props.prefix}-ingestion",
            definition_body=sfn.DefinitionBody.from_chainable(definition),
            timeout=Duration.hours(2),
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
        )
        for fn in (self.plan_fn, self.validate_fn, self.conclude_fn):
            acknowledge_wildcard_resource(
                machine.role,
                f"{fn.function.function_arn}:*",
                "invokes any published version of its own function",
            )
        acknowledge_map_runs(machine)
        # Publishing to a KMS-encrypted topic needs the key too (SnsPublish grants only sns:Publish).
        grant_key_use(props.key, machine.role, encrypt=True)
        Validations.of(machine.role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="X-Ray tracing and CloudWatch Logs delivery actions support no resource scoping",
            )
        )
        return machine
