"""The seed's load profile (loadtest/seed-profile.yml) run with Artillery against the local cloud or
a deployed stack, and its end-to-end result from the pushes the subscription mock recorded
(docs/loadtest.md). `python -m loadtest --help`."""
