"""The local cloud: moto plus the glue that nothing offline provides (a CPython dev tool).

Core pieces (each module's docstring gives its API):
- `localcloud.motoserver.MotoServer`: moto in-process, Step Functions execution enabled.
- `localcloud.functions.FunctionSpec`, `FunctionHost`, `InvokeResult`: the Lambda Runtime API host.
- `localcloud.front.Front`: the one endpoint (Lambda -> host, StartSyncExecution -> shim, rest -> moto).
- `localcloud.sync_shim.StartSyncExecutionShim`: StartSyncExecution on top of moto.
- `localcloud.pollers.SqsEventSource`: SQS -> Lambda event-source mappings.
- `localcloud.pipes.PipeRunner`: EventBridge Pipes, SQS -> enrichment -> Step Functions.
- `localcloud.ttl.TtlSweeper`: DynamoDB TTL.

Typical wiring::

    moto = MotoServer().start()
    host = FunctionHost(log_dir=Path(".localcloud/logs"))
    front = Front(moto.url, host).start()        # sets MOTO_PORT and host.endpoint_url
    host.register(FunctionSpec(...))
    poller = SqsEventSource(front.url, queue_url, "fn-name", host, batch_size=10).start()
    ...
    poller.stop(); front.stop(); host.stop(); moto.stop()
"""
