"""remote_services: the shared domain of the remote-services backend."""
