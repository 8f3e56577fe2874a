"""A lean AWS Lambda Runtime API loop (stdlib only) and the context object it passes.

Run it as ``python -m lambda_runtime`` or compile it into a native ``bootstrap``. The handler
comes from ``_HANDLER`` (``package.module.attribute``) and is imported lazily at init.
"""

from lambda_runtime.context import ClientContext, CognitoIdentity, LambdaContext, MobileClient

__all__ = ["ClientContext", "CognitoIdentity", "LambdaContext", "MobileClient"]
