"""The local cloud: moto plus the glue that nothing offline provides (a CPython dev tool).

Core pieces (each module's docstring gives its API):
- `localcloud.motoserver.MotoServer`: moto in-process, Step Functions execution enabled.
- `localcloud.functions.FunctionSpec`, `FunctionHost`, `InvokeResult`: the Lambda Runtime API host.
- `localcloud.front.Front`: the one endpoint (Lambda -> host, StartSyncExecution -> shim, rest -> moto).
- `localcloud.sync_shim.StartSyncExecutionShim`: StartSyncExecution on top of moto.
- `localcloud.pollers.SqsEventSource`: SQS -> Lambda event-source mappings.
- `localcloud.pipes.PipeRunner`: EventBridge Pipes, SQS -> enrichment -> Step Functions.
- `localcloud.ttl.TtlSweeper`: DynamoDB TTL.
- `localcloud.jsonapi.JsonApi`: AWS JSON 1.0 calls without botocore (used by pollers and pipes).

Typical wiring::

    moto = MotoServer().start()
    host = FunctionHost(log_dir=Path(".localcloud/logs"))
    front = Front(moto.url, host).start()        # sets MOTO_PORT and host.endpoint_url
    host.register(FunctionSpec(...))
    poller = SqsEventSource(front.url, queue_url, "fn-name", host, batch_size=10).start()
    ...
    poller.stop(); front.stop(); host.stop(); moto.stop()

Known differences from AWS (for the fidelity page):
- Function host: one OS process per instance, never frozen between invocations (background
  threads keep running); memory size is reported, not enforced (no CPU scaling either); no
  Extensions API; no 6 MB payload limit; ``AWS_EXECUTION_ENV`` unset; fake credentials.
  Beyond the concurrency limit a synchronous call waits (up to ``max_queue_wait_s``) instead of
  being throttled at once; reserved concurrency 0 throttles (429). Event (asynchronous)
  invocations are not retried and have no DLQ / destinations. Logs go to local files.
- Front: only Invoke is served by the host; other Lambda API calls go to moto. Clients must
  send StartSyncExecution with ``inject_host_prefix=False`` (``sync-states.`` + 127.0.0.1
  does not resolve).
- StartSyncExecution: execution ARNs read ``:execution:`` (AWS: ``:express:``); the billing
  details are an estimate; Express executions keep a history (AWS keeps none).
- SQS pollers: a fixed number of poller threads (``concurrency``) instead of Lambda's scaling;
  no FIFO group semantics (a failed message does not hold back its group).
- Pipes: no input templates, filters, pipe-level DLQ or retry policy.
- TTL: expired items go within ``interval_s`` (AWS: within days); no stream records for them.
- moto is patched in-process for cost only (see `motoserver.speed_up_moto`: parsed ASL
  programs and JSONPaths kept, module list cached, one boto3 client per service in the ASL
  engine, lock-free backend lookup, cheap ASL failure logs) and, in the front, to name unnamed
  StartExecution calls. `localcloud.moto_patches` (cost only, each in its docstring; tests:
  tests/functional/localcloud/test_lc_moto_patches.py): moto's clock without datetimes (SQS
  called it twice per queued message per scan), SQS's retention check without computing every
  queue attribute (three whole-queue scans per received message), response method names kept
  per class (``inspect.getmembers`` per request), parsed DynamoDB UpdateExpressions kept (parsed
  twice per UpdateItem), a specialised deep copy of the expression tree (~5x cheaper), Parallel
  branch threads not named after the repr of the whole program. The ASL engine's boto3 clients
  reach the front in-process (`front.route_in_process`: ``Front.handle`` without a socket, HTTP
  parsing or server thread per Task state; ~280 -> ~190 ms CPU per command). Measured together
  (bench/local.py, native build, 2 shared cores): sequential end-to-end P50 289 -> 165-204 ms; the
  main process still needs ~180 ms of CPU per command (moto's request handling, DynamoDB
  validation, response serialisation, the ASL engine), so it saturates one core at ~4-5
  commands/s.
"""
