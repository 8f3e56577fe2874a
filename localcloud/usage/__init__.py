"""What AWS would bill, counted: every call through the AWS endpoint by service and operation, with
the units the price depends on (DynamoDB read/write request units from item sizes, SQS 64 KB
chunks and empty receives). `make cost` (bench/cost.py) divides them by the commands of a run."""
