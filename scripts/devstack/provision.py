"""Create every resource template.yaml declares in moto (server or in-process).

Used by the local stack and by the tests, so the table the tests write to is the
one the template declares. Resource types that have no local counterpart are
listed in NOT_PROVISIONED; anything else unknown stops provisioning loudly.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from scripts.devstack.template import REGION, Stack, TemplateError

# Run by the local runtime itself, or meaningless without real AWS.
NOT_PROVISIONED = frozenset(
    {
        "AWS::Serverless::Function",
        "AWS::Serverless::LayerVersion",
        "AWS::Serverless::HttpApi",
        "AWS::SQS::QueuePolicy",
        "AWS::Lambda::Permission",
        "AWS::IAM::Role",
        "AWS::IAM::Policy",
        "AWS::Logs::LogGroup",
        "AWS::CloudWatch::Alarm",
        "AWS::SNS::Topic",
    }
)

_QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
)


def _dev_stripe_keys() -> dict[str, str]:
    return {
        "api_key": "sk_test_local_" + secrets.token_hex(12),
        "webhook_secret": "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode(),
    }


def _dev_keyset() -> dict[str, Any]:
    from admitone.domain.keys import generate_keyset_document  # noqa: PLC0415

    return generate_keyset_document(now=datetime.now(UTC))


def _dev_chain_keys() -> dict[str, Any]:
    # Fresh keys per local stack: the local chain authorises and funds the minter at start.
    return {"minter_key": "0x" + secrets.token_hex(32), "custody_seed": secrets.token_hex(32)}


# Development values for secrets, by the name in the secret's
# Metadata "admitone:local-value". Deployed stacks get theirs from operators.
LOCAL_VALUES: dict[str, Callable[[], dict[str, Any]]] = {
    "stripe-test-keys": _dev_stripe_keys,
    "ed25519-keyset": _dev_keyset,
    "evm-chain-keys": _dev_chain_keys,
}


class Provisioner:
    def __init__(self, stack: Stack, endpoint_url: str | None) -> None:
        self.stack = stack
        self.endpoint_url = endpoint_url
        self.secret_values: dict[str, dict[str, Any]] = {}
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        """One client per service for this provisioner (creating one costs ~20 ms)."""
        if service not in self._clients:
            self._clients[service] = boto3.client(
                service,  # type: ignore[call-overload]
                region_name=REGION,
                endpoint_url=self.endpoint_url,
                aws_access_key_id="local",
                aws_secret_access_key="local",  # noqa: S106  (moto accepts anything)
                config=Config(retries={"max_attempts": 2, "mode": "standard"}),
            )
        return self._clients[service]

    def provision(self) -> None:
        handlers: dict[str, Callable[[str, dict[str, Any]], None]] = {
            "AWS::SecretsManager::Secret": self._secret,
            "AWS::SSM::Parameter": self._parameter,
            "AWS::DynamoDB::Table": self._table,
            "AWS::Events::EventBus": self._bus,
            "AWS::SQS::Queue": self._queue,
            "AWS::Events::Rule": self._rule,
            "AWS::SES::EmailIdentity": self._email_identity,
            "AWS::KMS::Key": self._kms_key,
            "AWS::KMS::Alias": self._kms_alias,
        }
        unknown = {
            f"{logical_id} ({resource['Type']})"
            for logical_id, resource in self.stack.resources.items()
            if resource["Type"] not in handlers and resource["Type"] not in NOT_PROVISIONED
        }
        if unknown:
            raise TemplateError(f"no local provisioning for: {', '.join(sorted(unknown))}")
        for resource_type, handler in handlers.items():
            for logical_id in self._ordered(resource_type):
                handler(logical_id, self.stack.properties(logical_id))

    def _ordered(self, resource_type: str) -> list[str]:
        """Logical ids of a type, each after the same-type resources it references."""
        pending = sorted(self.stack.resources_of_type(resource_type))
        ordered: list[str] = []
        while pending:
            for logical_id in pending:
                text = json.dumps(self.stack.resources[logical_id].get("Properties", {}))
                if not any(f'"{dep}"' in text for dep in pending if dep != logical_id):
                    ordered.append(logical_id)
                    pending.remove(logical_id)
                    break
            else:
                raise TemplateError(f"circular references among {pending}")
        return ordered

    # ------------------------------------------------------------- resources
    def _secret(self, logical_id: str, props: dict[str, Any]) -> None:
        name = self.stack.physical_name(logical_id)
        generator = self.stack.resources[logical_id].get("Metadata", {}).get("admitone:local-value")
        if generator is not None:
            if generator not in LOCAL_VALUES:
                raise TemplateError(f"{logical_id}: unknown admitone:local-value {generator!r}")
            value: dict[str, Any] | str = LOCAL_VALUES[generator]()
        elif "SecretString" in props:
            value = str(self.stack.resolve(props["SecretString"]))
        else:
            value = secrets.token_urlsafe(32)
        text = value if isinstance(value, str) else json.dumps(value)
        sm = self.client("secretsmanager")
        try:
            created = sm.create_secret(Name=name, SecretString=text)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceExistsException":
                raise
            created = sm.describe_secret(SecretId=name)
            text = sm.get_secret_value(SecretId=name)["SecretString"]
        self.stack.attributes[(logical_id, "Arn")] = created["ARN"]
        self.secret_values[logical_id] = json.loads(text) if text.startswith("{") else {}

    def _parameter(self, logical_id: str, props: dict[str, Any]) -> None:
        self.client("ssm").put_parameter(
            Name=self.stack.physical_name(logical_id),
            Type=props.get("Type", "String"),
            Value=str(self.stack.resolve(props["Value"])),
            Overwrite=True,
        )

    def _table(self, logical_id: str, props: dict[str, Any]) -> None:
        props = self.stack.resolve(props)
        name = self.stack.physical_name(logical_id)
        ddb = self.client("dynamodb")
        request: dict[str, Any] = {
            "TableName": name,
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props.get("BillingMode", "PROVISIONED"),
        }
        for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes", "ProvisionedThroughput"):
            if key in props:
                request[key] = props[key]
        if "StreamSpecification" in props:
            request["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
        try:
            description = ddb.create_table(**request)["TableDescription"]
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceInUseException":
                raise
            description = ddb.describe_table(TableName=name)["Table"]
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            ddb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
            )
        pitr = props.get("PointInTimeRecoverySpecification", {})
        if pitr.get("PointInTimeRecoveryEnabled"):
            ddb.update_continuous_backups(
                TableName=name,
                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
            )
        self.stack.attributes[(logical_id, "Arn")] = description["TableArn"]
        if "LatestStreamArn" in description:
            self.stack.attributes[(logical_id, "StreamArn")] = description["LatestStreamArn"]

    def _bus(self, logical_id: str, props: dict[str, Any]) -> None:
        name = self.stack.physical_name(logical_id)
        try:
            arn = self.client("events").create_event_bus(Name=name)["EventBusArn"]
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceAlreadyExistsException":
                raise
            arn = self.client("events").describe_event_bus(Name=name)["Arn"]
        self.stack.attributes[(logical_id, "Arn")] = arn

    def _queue(self, logical_id: str, props: dict[str, Any]) -> None:
        props = self.stack.resolve(props)
        attributes = {
            key: str(props[key]).lower() if isinstance(props[key], bool) else str(props[key])
            for key in _QUEUE_ATTRIBUTES
            if key in props
        }
        for key in ("RedrivePolicy", "RedriveAllowPolicy"):
            if key in props:
                attributes[key] = json.dumps(props[key])
        sqs = self.client("sqs")
        url = sqs.create_queue(
            QueueName=self.stack.physical_name(logical_id), Attributes=attributes
        )["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self.stack.attributes[(logical_id, "QueueUrl")] = url
        self.stack.attributes[(logical_id, "Arn")] = arn

    def _rule(self, logical_id: str, props: dict[str, Any]) -> None:
        props = self.stack.resolve(props)
        name = self.stack.physical_name(logical_id)
        events = self.client("events")
        request: dict[str, Any] = {"Name": name, "State": props.get("State", "ENABLED")}
        if "EventBusName" in props:
            request["EventBusName"] = props["EventBusName"]
        if "EventPattern" in props:
            pattern = props["EventPattern"]
            request["EventPattern"] = pattern if isinstance(pattern, str) else json.dumps(pattern)
        if "ScheduleExpression" in props:
            request["ScheduleExpression"] = props["ScheduleExpression"]
        arn = events.put_rule(**request)["RuleArn"]
        self.stack.attributes[(logical_id, "Arn")] = arn
        targets = []
        for target in props.get("Targets", []):
            if ":sqs:" not in target["Arn"]:
                raise TemplateError(
                    f"{logical_id}: only SQS rule targets run locally (route events to a "
                    "function through its queue)"
                )
            targets.append(
                {
                    key: target[key]
                    for key in (
                        "Id",
                        "Arn",
                        "Input",
                        "InputPath",
                        "InputTransformer",
                        "SqsParameters",
                        "RetryPolicy",
                        "DeadLetterConfig",
                    )
                    if key in target
                }
            )
        if targets:
            bus = {"EventBusName": props["EventBusName"]} if "EventBusName" in props else {}
            events.put_targets(Rule=name, Targets=targets, **bus)

    def _email_identity(self, logical_id: str, props: dict[str, Any]) -> None:
        identity = str(self.stack.resolve(props["EmailIdentity"]))
        ses = self.client("ses")
        if "@" in identity:
            ses.verify_email_identity(EmailAddress=identity)
        else:
            ses.verify_domain_identity(Domain=identity)

    def _kms_key(self, logical_id: str, props: dict[str, Any]) -> None:
        # A key has no name to find it by again: the stack's alias (provisioned next) is
        # how a second provisioning of the same moto finds the key it made the first time.
        metadata = self.client("kms").create_key(
            Description=str(self.stack.resolve(props.get("Description", logical_id))),
            KeySpec=props.get("KeySpec", "SYMMETRIC_DEFAULT"),
            KeyUsage=props.get("KeyUsage", "ENCRYPT_DECRYPT"),
        )["KeyMetadata"]
        self.stack.attributes[(logical_id, "KeyId")] = metadata["KeyId"]
        self.stack.attributes[(logical_id, "Arn")] = metadata["Arn"]

    def _kms_alias(self, logical_id: str, props: dict[str, Any]) -> None:
        props = self.stack.resolve(props)
        kms = self.client("kms")
        try:
            kms.create_alias(AliasName=props["AliasName"], TargetKeyId=props["TargetKeyId"])
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "AlreadyExistsException":
                raise
            kms.update_alias(AliasName=props["AliasName"], TargetKeyId=props["TargetKeyId"])
