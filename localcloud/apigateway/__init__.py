"""A local API Gateway (REST API) front, driven by an OpenAPI 3 document with AWS extensions.

Nothing is hand-coded per route: routes, request validators, models, the Cognito user pool
authorizer, integrations (``aws`` action/path, ``aws_proxy``, ``http``, ``http_proxy``,
``mock``), VTL mapping templates and gateway responses all come from the document.

API (for the provisioner)::

    from localcloud.apigateway import RestApiServer, UserPool

    front = RestApiServer(
        openapi,                        # dict, CloudFormation intrinsics ALREADY resolved
        aws_endpoint_url="http://127.0.0.1:4566",   # where integrations call AWS (the Front)
        region="us-east-1",
        stage="local",                  # $context.stage; also accepted as a path prefix
        stage_variables={"k": "v"},     # $stageVariables
        user_pool=UserPool(id="us-east-1_abc", client_ids=("client",)),  # or None
        access_log="logs/api-access.log",   # one line per request, or None
        access_log_format=None,         # the stage's AccessLogSetting.Format ($context.* variables);
                                        # None: a JSON object of the usual fields
        throttle=(200.0, 400.0),        # stage throttling (rate/s, burst) -> 429 THROTTLED; None: off
    )
    url = front.start(port=0)           # "http://127.0.0.1:<port>" (port 0: a free port)
    front.url                           # same
    front.stop()

For a SAM ``AWS::Serverless::Api``, ``stage_settings(resolved_properties)`` gives the keyword
arguments ``stage_variables``, ``access_log_format`` and ``throttle`` from ``Variables``,
``AccessLogSetting.Format`` and the ``/*`` ``*`` ``MethodSettings``::

    RestApiServer(openapi, aws_endpoint_url=..., stage=..., **stage_settings(api_properties))

``user_pool`` may also be a mapping ``{"id", "client_ids"?, "jwks_url"?, "issuer"?}``. When it is
None, the pool id is read from the security scheme's ``providerARNs``. The JWKS defaults to
``{aws_endpoint_url}/{pool_id}/.well-known/jwks.json`` (moto serves it there) and the issuer to
``https://cognito-idp.{region}.amazonaws.com/{pool_id}`` (what moto writes in its tokens).
Integration calls are signed with SigV4 using ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``/
``AWS_SESSION_TOKEN`` from the environment (default ``testing``).
"""

from localcloud.apigateway.auth import UserPool
from localcloud.apigateway.server import RestApiServer
from localcloud.apigateway.spec import ApiSpec, SpecError
from localcloud.apigateway.stage import stage_settings

__all__ = ["ApiSpec", "RestApiServer", "SpecError", "UserPool", "stage_settings"]
