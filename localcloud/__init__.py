"""The local cloud: moto plus the glue that nothing offline provides (a CPython dev tool).

Layout (imports run downwards only; pyproject.toml [tool.importlinter] checks it):

- `cloud.LocalCloud` (the composition), `__main__` (the CLI), `demo` (the scenario runner on
  `simulator/scenarios/demo.yaml`), `sam_build` (the `sam build` wrapper), `wiring` (provisioned
  config -> emulators), `fleet_seed`, `readback`.
- `apigateway/`: the REST API from the OpenAPI document (`RestApiServer`).
- `eventsources/`: SQS -> Lambda event source mappings (`sqs.SqsEventSource`), EventBridge Pipes
  (`pipes.PipeRunner`).
- `provision/`: the built template -> resources in moto (`provision`), one module per AWS service.
- `aws/`: moto in this process (`moto_server.MotoServer`, its patches) and the one endpoint in
  front of it (`endpoint.AwsEndpoint`: Lambda Invoke -> the function host, StartSyncExecution ->
  `stepfunctions_sync`, the rest -> moto), DynamoDB TTL (`dynamodb_ttl.TtlSweeper`), the JSON
  client of the event sources (`json_client.JsonApi`).
- `lambda_host/`: the Lambda function host (`FunctionHost`: Runtime API, process pool, invoke).

Typical wiring (what `LocalCloud` does)::

    moto = MotoServer().start()
    host = FunctionHost(log_dir=Path(".localcloud/logs"))
    endpoint = AwsEndpoint(moto.url, host).start()   # sets MOTO_PORT and host.endpoint_url
    host.register(FunctionSpec(...))
    poller = SqsEventSource(endpoint.url, queue_url, "fn-name", host, batch_size=10).start()
    ...
    poller.stop(); endpoint.stop(); host.stop(); moto.stop()

Known differences from AWS (for the fidelity page):
- Function host: one OS process per instance, never frozen between invocations (background
  threads keep running); memory size is reported, not enforced (no CPU scaling either); no
  Extensions API; no 6 MB payload limit; ``AWS_EXECUTION_ENV`` unset; fake credentials.
  Beyond the concurrency limit a synchronous call waits (up to ``max_queue_wait_s``) instead of
  being throttled at once; reserved concurrency 0 throttles (429). Event (asynchronous)
  invocations are not retried and have no DLQ / destinations. Logs go to local files.
- AWS endpoint: only Invoke is served by the host; other Lambda API calls go to moto. Clients must
  send StartSyncExecution with ``inject_host_prefix=False`` (``sync-states.`` + 127.0.0.1
  does not resolve).
- StartSyncExecution: execution ARNs read ``:execution:`` (AWS: ``:express:``); the billing
  details are an estimate; Express executions keep a history (AWS keeps none).
- SQS pollers: a fixed number of poller threads (``concurrency``) instead of Lambda's scaling;
  no FIFO group semantics (a failed message does not hold back its group).
- Pipes: no input templates, filters, pipe-level DLQ or retry policy.
- TTL: expired items go within ``interval_s`` (AWS: within days); no stream records for them.
- moto is patched in-process for cost only (see `aws.moto_speedups.speed_up_moto`: parsed ASL
  programs and JSONPaths kept, module list cached, one boto3 client per service in the ASL engine,
  lock-free backend lookup, cheap ASL failure logs) and, in the endpoint, to name unnamed
  StartExecution calls. `localcloud.aws.moto_patches` (cost only, each in its docstring; tests:
  tests/functional/localcloud/test_lc_moto_patches.py): moto's clock without datetimes (SQS called
  it twice per queued message per scan), SQS's retention check without computing every queue
  attribute (three whole-queue scans per received message), response method names kept per class
  (``inspect.getmembers`` per request), parsed DynamoDB UpdateExpressions kept (parsed twice per
  UpdateItem), a specialised deep copy of the expression tree (~5x cheaper), Parallel branch threads
  not named after the repr of the whole program. The ASL engine's boto3 clients reach the endpoint
  in-process (`aws.botocore_hook.route_in_process`: ``AwsEndpoint.handle`` without a socket, HTTP
  parsing or server thread per Task state; ~280 -> ~190 ms CPU per command). Measured together
  (bench/local.py, native build, 2 shared cores): sequential end-to-end P50 289 -> 165-204 ms; the
  main process still needs ~180 ms of CPU per command (moto's request handling, DynamoDB validation,
  response serialisation, the ASL engine), so it saturates one core at ~4-5 commands/s.
"""
