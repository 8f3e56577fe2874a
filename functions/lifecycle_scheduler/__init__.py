"""lifecycle_scheduler: schedules the timeout check of a non-final event on the delay queue."""
