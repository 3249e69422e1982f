"""The table the tests (and the local stack) use is the one template.yaml declares."""

from __future__ import annotations

from tests.integration.conftest import AwsStack


def test_the_provisioned_table_has_the_templates_keys_indexes_ttl_and_stream(aws: AwsStack):
    declared = aws.stack.properties("Table")
    ddb = aws.client("dynamodb")
    name = aws.stack.physical_name("Table")
    table = ddb.describe_table(TableName=name)["Table"]

    assert table["KeySchema"] == declared["KeySchema"]
    assert sorted(table["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == sorted(
        declared["AttributeDefinitions"], key=lambda a: a["AttributeName"]
    )
    indexes = {i["IndexName"]: i for i in table["GlobalSecondaryIndexes"]}
    assert set(indexes) == {i["IndexName"] for i in declared["GlobalSecondaryIndexes"]}
    assert len(indexes) >= 3
    for index in declared["GlobalSecondaryIndexes"]:
        assert indexes[index["IndexName"]]["KeySchema"] == index["KeySchema"]
        assert indexes[index["IndexName"]]["Projection"] == index["Projection"]
    assert table["StreamSpecification"] == {
        "StreamEnabled": True,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    ttl = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "expires_at")
    backups = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"


def test_every_declared_secret_holds_a_generated_development_value(aws: AwsStack):
    secrets = aws.client("secretsmanager")
    for logical_id in aws.stack.resources_of_type("AWS::SecretsManager::Secret"):
        value = secrets.get_secret_value(SecretId=aws.stack.resolve({"Ref": logical_id}))
        assert value["SecretString"].startswith("{")
    stripe = aws.provisioner.secret_values["StripeSecret"]
    assert stripe["api_key"].startswith("sk_test_")
    assert stripe["webhook_secret"].startswith("whsec_")
