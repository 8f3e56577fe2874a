"""Blue/green for remote-services (docs/bluegreen.md): the router's weights (the shared API stage's
colour and canary, mirrored in the weights table), the gate (the scenario suite through the override
header, the colour's alarms and dead-letter queues) and the canary shift that moves the weights one
step at a time while the gate stays green, and rolls back when it does not.

    python -m bluegreen status|sync|shift --colour green --steps 10,50,100

Against the running local cloud (`.localcloud/running.json`) or a deployed environment (`--env`).
Never imports the local cloud: it talks to API Gateway, DynamoDB, SQS and CloudWatch through boto3.
"""
