"""The deployable test harness (docs/test-harness.md): the broker API mock, the vehicle it plays, the
delay relay and the subscription mock. Pure planning (behaviour, plan, schedule, stats) apart from the
data access (tables) and the Function URL shell (function_url); `broker` and `subscription` join them
for the handlers. Deployed only when the template's DeployTestHarness is "true"."""
