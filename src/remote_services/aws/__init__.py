"""The lean AWS client for Lambdas: SigV4, DynamoDB (JSON 1.0), SQS (JSON 1.0), SNS (query); stdlib only.

from remote_services.aws import AwsError, ConditionalCheckFailed, DynamoDB, Sqs, Sns
"""

from .dynamodb import DynamoDB
from .errors import AwsError, ConditionalCheckFailed
from .sigv4 import Credentials
from .sns import Sns
from .sqs import Sqs

__all__ = ["AwsError", "ConditionalCheckFailed", "Credentials", "DynamoDB", "Sns", "Sqs"]
