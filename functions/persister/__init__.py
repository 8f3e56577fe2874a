"""persister: stores every event (history + current state) in DynamoDB."""
