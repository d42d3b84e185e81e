"""EventBridge InputTransformer semantics for the targets the local cloud delivers itself."""

import json

from mlops.local.plugins.flows import transform_input

EVENT = {"detail": {"ModelPackageArn": "arn:aws:sagemaker:us-east-1:1:model-package/g/2", "ModelPackageVersion": 2}}


def test_placeholders_outside_quotes_become_json_and_inside_quotes_text() -> None:
    transformer = {
        "InputPathsMap": {"arn": "$.detail.ModelPackageArn", "version": "$.detail.ModelPackageVersion", "x": "$.no"},
        "InputTemplate": '{"dataset":"bc","package":<arn>,"label":"v<version> of <arn>","n":<version>,"none":<x>}',
    }
    assert json.loads(transform_input(transformer, EVENT)) == {
        "dataset": "bc",
        "package": EVENT["detail"]["ModelPackageArn"],
        "label": f"v2 of {EVENT['detail']['ModelPackageArn']}",
        "n": 2,
        "none": None,
    }


def test_the_template_cdk_renders_for_the_deploy_trigger() -> None:
    transformer = {
        "InputPathsMap": {"detail-ModelPackageArn": "$.detail.ModelPackageArn"},
        "InputTemplate": (
            '{"dataset":"breast-cancer","model_package_arn":<detail-ModelPackageArn>,'
            '"trigger":"registration","triggered_by":<detail-ModelPackageArn>}'
        ),
    }
    answer = json.loads(transform_input(transformer, EVENT))
    assert answer["model_package_arn"] == answer["triggered_by"] == EVENT["detail"]["ModelPackageArn"]
