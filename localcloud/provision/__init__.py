"""The provisioner: creates the resources of the BUILT SAM template in moto, through the endpoint.

    from localcloud.provision import provision
    prov = provision(".aws-sam/build/template.yaml", endpoint_url, parameters={"BrokerUrl": ...})

It interprets the SAM resource types itself (AWS::Serverless::Function / StateMachine / Api /
SimpleTable, with `Globals`), resolves the intrinsics, creates DynamoDB tables (keys, GSIs, TTL),
SQS queues (attributes, redrive), SNS topics and subscriptions (raw delivery, filter policies with
their scope), Step Functions state machines (definition file with `DefinitionSubstitutions`),
Cognito user pools and clients, and returns what the runner needs (`Provisioned`): function
configurations, SQS event source mappings, pipes, TTL tables, the API's OpenAPI document with
intrinsics resolved, the logical -> physical id map and the list of resources that are not
emulated (WAF, alarms, log groups, IAM, ...). moto's CloudFormation is not used.

Modules:
- `template`: reading a template file (YAML short tags, JSON); `intrinsics`: Ref, Fn::*, Conditions.
- `model`: `Provisioned` and the configurations in it; `context`: what one run shares.
- `provisioner`: the run (order, Globals, outputs) and `RESOURCE_HANDLERS`, joined from one module
  per AWS service: `dynamodb`, `sqs`, `sns`, `lambda_functions`, `stepfunctions`, `apigateway`,
  `pipes`, `cognito`.
"""

from localcloud.provision.model import (
    ApiConfig,
    EventSourceMappingConfig,
    FunctionConfig,
    FunctionUrlConfig,
    PipeConfig,
    Provisioned,
    ProvisionError,
    TtlTableConfig,
)
from localcloud.provision.provisioner import provision

__all__ = [
    "ApiConfig",
    "EventSourceMappingConfig",
    "FunctionConfig",
    "FunctionUrlConfig",
    "PipeConfig",
    "ProvisionError",
    "Provisioned",
    "TtlTableConfig",
    "provision",
]
