"""Event sources: what reads a queue and calls a function or a workflow, as Lambda and Pipes do.

- `sqs.SqsEventSource`: an SQS -> Lambda event source mapping (batches, partial batch responses).
- `pipes.PipeRunner`: an EventBridge pipe, SQS -> enrichment function -> Step Functions.
"""
