"""DynamoDB over the JSON 1.0 protocol (DynamoDB_20120810), requests in AttributeValue JSON."""

from __future__ import annotations

from .jsonproto import JsonClient


class DynamoDB(JsonClient):
    """`DynamoDB().call("PutItem", {...})`; ConditionalCheckFailed on a failed condition.

    A TransactionCanceledException is an AwsError whose `cancellation_reasons` lists one reason per item.
    """

    service = "DynamoDB"
    signing_name = "dynamodb"
    service_id = "DYNAMODB"
    host_prefix = "dynamodb"
    target_prefix = "DynamoDB_20120810"
