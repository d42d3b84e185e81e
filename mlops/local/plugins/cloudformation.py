"""CloudFormation in moto 5.2.5: failures and cross-stack exports.

Gaps bridged here (local runtime only; the templates are never changed):

- A resource that fails to create (or any other error in moto's stack code) makes moto's
  `CreateStack` answer HTTP 500 with the stack left half-made in `CREATE_IN_PROGRESS`; SDKs
  then retry and get `AlreadyExists`, and the cause is lost. Here the failure is recorded
  as AWS records it: a `CREATE_FAILED` event on the resource with the reason, the created
  resources deleted again, the stack's exports withdrawn, and the stack in
  `ROLLBACK_COMPLETE` (which the CDK CLI knows to delete before the next attempt). A failed
  update ends in `UPDATE_ROLLBACK_COMPLETE` with the reason on an `UPDATE_FAILED` event;
  moto cannot roll an update back, so resources updated before the failure keep their new
  state.
- `UpdateStack` recomputes a stack's outputs but not the region's export table, so an
  `Fn::ImportValue` in a later stack would read the value from the first deploy. Exports
  are re-registered after every update.
- `UpdateStack` with `UsePreviousValue` for a parameter that was left to its default on
  creation (the CDK CLI does this for `BootstrapVersion` on every update) fails with a
  KeyError (HTTP 500). Such a parameter keeps the previous template's default, as on AWS.
- Names that CloudFormation generates for unnamed resources are `<stack>-<logical id>-<suffix>`
  in moto without AWS's per-type length limits, so e.g. an `AWS::Events::Archive` of a stack
  with a long name is rejected (`archiveName` <= 48). Generated names are shortened to each
  type's limit the way AWS does (prefix cut, random suffix kept).
- Change sets (the CDK CLI's default deploy method) create stacks without the region's
  exports, never register their exports and never compute their outputs, so cross-stack
  references fail. The local cloud therefore deploys with `--method=direct`
  (CreateStack/UpdateStack), which moto implements fully; see `mlops.local.cdk`.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from mlops.local.plugins._contract import require

log = logging.getLogger(__name__)


class StackResourceError(Exception):
    """A resource of a stack could not be created; carries which one and why."""

    def __init__(self, logical_id: str, resource_type: str, cause: BaseException) -> None:
        self.logical_id = logical_id
        self.resource_type = resource_type
        self.cause = cause
        super().__init__(f"{logical_id} ({resource_type}): {_describe(cause)}")


def _describe(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc)
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def install() -> None:
    _name_failing_resources("parse_and_create_resource")
    _name_failing_resources("parse_and_update_resource")
    _record_create_failures()
    _record_update_failures_and_refresh_exports()
    _limit_generated_names()
    _keep_defaulted_parameters_on_update()


def _keep_defaulted_parameters_on_update() -> None:
    backend_class = require("moto.cloudformation.models", "CloudFormationBackend")
    original = require("moto.cloudformation.models", "CloudFormationBackend._resolve_update_parameters")

    @functools.wraps(original)
    def _resolve_update_parameters(self: Any, instance: Any, incoming_params: list[dict[str, Any]]) -> Any:
        given = getattr(instance, "parameters", None) or {}
        declared = (getattr(instance, "template_dict", None) or {}).get("Parameters") or {}
        resolved = []
        for parameter in incoming_params:
            key = parameter.get("ParameterKey")
            if parameter.get("UsePreviousValue") and key not in given:
                # The previous value was the previous template's default (for SSM-typed
                # parameters: the parameter's name, not its resolved value).
                if "Default" not in declared.get(key, {}):
                    continue
                parameter = {"ParameterKey": key, "ParameterValue": declared[key]["Default"]}
            resolved.append(parameter)
        return original(self, instance, resolved)

    backend_class._resolve_update_parameters = _resolve_update_parameters


#: Name limits of the resource types whose generated names moto does not shorten itself.
GENERATED_NAME_LIMITS = {
    "AWS::Events::Archive": 48,
    "AWS::Events::Rule": 64,
    "AWS::Events::EventBus": 256,
    "AWS::IAM::Role": 64,
    "AWS::IAM::ManagedPolicy": 128,
    "AWS::Lambda::Function": 64,
    "AWS::StepFunctions::StateMachine": 80,
    "AWS::SQS::Queue": 80,
    "AWS::SNS::Topic": 256,
    "AWS::Scheduler::Schedule": 64,
    "AWS::DynamoDB::Table": 255,
    "AWS::SageMaker::ModelPackageGroup": 63,
}


def _limit_generated_names() -> None:
    import moto.cloudformation.parsing as parsing

    original = require("moto.cloudformation.parsing", "generate_resource_name")

    @functools.wraps(original)
    def generate_resource_name(resource_type: str, stack_name: str, logical_id: str) -> str:
        name = str(original(resource_type, stack_name, logical_id))
        limit = GENERATED_NAME_LIMITS.get(resource_type)
        if limit is None or len(name) <= limit:
            return name
        prefix, _, suffix = name.rpartition("-")
        return f"{prefix[: limit - len(suffix) - 1].rstrip('-')}-{suffix}"

    parsing.generate_resource_name = generate_resource_name


def _name_failing_resources(function_name: str) -> None:
    """Wrap resource creation or update so a failure says which logical resource it was."""
    import moto.cloudformation.parsing as parsing

    original = require("moto.cloudformation.parsing", function_name)

    @functools.wraps(original)
    def wrapper(logical_id: str, resource_json: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return original(logical_id, resource_json, *args, **kwargs)
        except StackResourceError:
            raise
        except Exception as exc:
            raise StackResourceError(logical_id, str(resource_json.get("Type", "?")), exc) from exc

    setattr(parsing, function_name, wrapper)


def _event(stack: Any, status: str, reason: str | None, failed: StackResourceError | None = None) -> None:
    from moto.cloudformation.models import Event

    if failed is None:
        stack._add_stack_event(status, resource_status_reason=reason)
        return
    stack.events.append(
        Event(
            stack_id=stack.stack_id,
            stack_name=stack.name,
            logical_resource_id=failed.logical_id,
            physical_resource_id="",
            resource_type=failed.resource_type,
            resource_status=status,
            resource_status_reason=reason,
            resource_properties=None,
        )
    )


def _record_create_failures() -> None:
    backend_class = require("moto.cloudformation.models", "CloudFormationBackend")
    original = require("moto.cloudformation.models", "CloudFormationBackend.create_stack")

    @functools.wraps(original)
    def create_stack(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return original(self, name, *args, **kwargs)
        except Exception as exc:
            stack = next((s for s in self.stacks.values() if s.name == name), None)
            if stack is None or _is_api_error(exc):
                raise
            failed = _as_failure(exc, stack)
            log.warning("stack %s: %s", name, failed, exc_info=failed.cause)
            _roll_back_creation(self, stack, failed)
            return stack

    backend_class.create_stack = create_stack


def _is_api_error(exc: Exception) -> bool:
    """A proper AWS error response (validation, not found, ...), which clients understand."""
    from moto.core.exceptions import ServiceException
    from werkzeug.exceptions import HTTPException

    return isinstance(exc, ServiceException | HTTPException)


def _as_failure(exc: Exception, stack: Any) -> StackResourceError:
    """Any other exception is a moto bug; recorded on the stack itself when no resource is named."""
    if isinstance(exc, StackResourceError):
        return exc
    return StackResourceError(stack.name, "AWS::CloudFormation::Stack", exc)


def _roll_back_creation(backend: Any, stack: Any, failed: StackResourceError) -> None:
    _event(stack, "CREATE_FAILED", _describe(failed.cause), failed)
    _event(stack, "ROLLBACK_IN_PROGRESS", f"The following resource(s) failed to create: [{failed.logical_id}].")
    for export_name, export in list(backend.exports.items()):
        if export.exporting_stack_id == stack.stack_id:
            del backend.exports[export_name]
    try:
        stack.resource_map.delete()
    except Exception:  # best effort, as a real rollback that cannot delete something
        log.warning("stack %s: rollback left resources behind", stack.name, exc_info=True)
    # moto's resource and output maps create what they hold on first access: without this,
    # describing the rolled-back stack would try to create its resources again.
    stack.resource_map._resource_json_map = {}
    stack.output_map._output_json_map = {}
    stack.output_map._parsed_outputs = {}
    stack.status = "ROLLBACK_COMPLETE"
    _event(stack, "ROLLBACK_COMPLETE", None)


def _record_update_failures_and_refresh_exports() -> None:
    backend_class = require("moto.cloudformation.models", "CloudFormationBackend")
    original = require("moto.cloudformation.models", "CloudFormationBackend.update_stack")

    @functools.wraps(original)
    def update_stack(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        try:
            stack = original(self, name, *args, **kwargs)
        except Exception as exc:
            if _is_api_error(exc):
                raise
            stack = self.get_stack(name)
            failed = _as_failure(exc, stack)
            log.warning("stack %s: %s", name, failed, exc_info=failed.cause)
            _event(stack, "UPDATE_FAILED", _describe(failed.cause), failed)
            stack.status = "UPDATE_ROLLBACK_COMPLETE"
            _event(
                stack, "UPDATE_ROLLBACK_COMPLETE", f"The following resource(s) failed to update: [{failed.logical_id}]."
            )
            return stack
        for export_name, export in list(self.exports.items()):
            if export.exporting_stack_id == stack.stack_id:
                del self.exports[export_name]
        for export in stack.exports:
            self.exports[export.name] = export
        return stack

    backend_class.update_stack = update_stack
