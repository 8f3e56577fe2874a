"""The AWS services, emulated: moto in this process, and the one endpoint in front of it.

- `moto_server.MotoServer`: moto as an HTTP server in this process (Step Functions executions on).
- `moto_speedups`, `moto_patches`: in-process patches to moto that change cost, not behaviour
  (and make DynamoDB's conditional writes atomic).
- `endpoint.AwsEndpoint`: the one URL every client uses (AWS_ENDPOINT_URL); routes Lambda Invoke
  to the function host (`lambda_invoke`), StartSyncExecution to `stepfunctions_sync`, the rest to
  moto (`moto_proxy`, `wsgi_environ`).
- `in_process`, `botocore_hook`: callers of this process reach the endpoint without a socket.
- `json_client.JsonApi`: AWS JSON 1.0 calls without botocore (the event sources' SQS calls).
- `dynamodb_ttl.TtlSweeper`: DynamoDB TTL, which moto does not enforce.
- `http_common`: the helpers the others share.
"""
