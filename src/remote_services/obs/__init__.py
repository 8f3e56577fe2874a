"""Observability and I/O helpers shaped like AWS Lambda Powertools, with a fraction of the import cost.

Import the submodules directly (`from remote_services.obs.logger import Logger`): each is cheap on its own.
"""
