"""CloudWatch, locally: the metrics AWS would publish, collected from the emulators while the local
cloud runs, and the template's dashboard rendered from them (docs/observability.md).

- `metric_log`: where the datapoints go (``<state dir>/metrics/*.jsonl``) and how they are read
  back, with the EMF lines of the function logs and the API's access log;
- `sqs_sampler`: AWS/SQS queue depth and age of the oldest message, every 5 s;
- `dashboard`: the template's DashboardBody, evaluated over them, as a PNG and JSON.
"""
