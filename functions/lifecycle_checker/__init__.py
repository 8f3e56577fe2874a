"""lifecycle_checker: publishes FAILED/TIMEOUT when an event did not move on in time."""
