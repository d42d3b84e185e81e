"""An execution role for SageMaker jobs or models, without AmazonSageMakerFullAccess.

It may pull framework images, write its own CloudWatch logs and metrics; data access is
granted by the stack (bucket.grant_read ... ) so each role reaches only what it needs."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Acknowledgment, ArnFormat, Stack, Validations
from aws_cdk import aws_iam as iam
from constructs import Construct

from stacks.nag import acknowledge_wildcard_resource

FRAMEWORK_IMAGES = "arn:aws:ecr:*:*:repository/sagemaker-*"


@dataclass(frozen=True, kw_only=True)
class SageMakerRoleProps:
    description: str
    log_group_prefix: str


class SageMakerRole(Construct):
    def __init__(self, scope: Construct, id_: str, *, props: SageMakerRoleProps) -> None:
        super().__init__(scope, id_)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description=props.description,
        )
        self.allow_logs(props.log_group_prefix, sid="WriteOwnLogs")
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="PullFrameworkImages",
                actions=[
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:BatchGetImage",
                    "ecr:GetDownloadUrlForLayer",
                ],
                resources=[FRAMEWORK_IMAGES],
            )
        )
        acknowledge_wildcard_resource(
            self.role, FRAMEWORK_IMAGES, "AWS framework images live in per-region AWS-owned accounts"
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="EcrAuthAndMetrics",
                actions=["ecr:GetAuthorizationToken", "cloudwatch:PutMetricData"],
                resources=["*"],
            )
        )
        Validations.of(self.role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason=(
                    "ecr:GetAuthorizationToken, cloudwatch:PutMetricData and (jobs in a VPC) the EC2 Describe calls "
                    "support no resource-level scoping"
                ),
            )
        )

    def allow_logs(self, log_group: str, *, sid: str) -> None:
        """Let the jobs or models running as this role write their output to `log_group`, one
        stream each, as SageMaker does (e.g. processing jobs of a training role)."""
        log_streams = Stack.of(self).format_arn(
            service="logs",
            resource="log-group",
            resource_name=f"{log_group}:*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid=sid,
                actions=[
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "logs:DescribeLogStreams",
                ],
                resources=[log_streams],
            )
        )
        acknowledge_wildcard_resource(
            self.role, log_streams, f"SageMaker names one log stream per job inside {log_group}"
        )

    def allow_vpc(self, subnet_ids: list[str], security_group_ids: list[str]) -> None:
        """What SageMaker needs to attach a job to the configured subnets and security groups:
        network interfaces in them (scoped) and the resourceless EC2 describe calls."""
        stack = Stack.of(self)

        def ec2(resource: str, name: str) -> str:
            return stack.format_arn(service="ec2", resource=resource, resource_name=name)

        interfaces = ec2("network-interface", "*")
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="JobNetworkInterfaces",
                actions=[
                    "ec2:CreateNetworkInterface",
                    "ec2:CreateNetworkInterfacePermission",
                    "ec2:DeleteNetworkInterface",
                    "ec2:DeleteNetworkInterfacePermission",
                ],
                resources=[
                    interfaces,
                    *(ec2("subnet", s) for s in subnet_ids),
                    *(ec2("security-group", g) for g in security_group_ids),
                ],
            )
        )
        acknowledge_wildcard_resource(
            self.role, interfaces, "SageMaker creates the job's network interfaces; their ids are not known ahead"
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="DescribeJobNetwork",
                actions=[
                    "ec2:DescribeNetworkInterfaces",
                    "ec2:DescribeVpcs",
                    "ec2:DescribeDhcpOptions",
                    "ec2:DescribeSubnets",
                    "ec2:DescribeSecurityGroups",
                ],
                resources=["*"],
            )
        )
