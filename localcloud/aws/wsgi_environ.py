"""The WSGI environ werkzeug's server (with moto's request handler) would build for one request,
so that moto's WSGI application can be called directly (`localcloud.aws.moto_proxy.InProcessMoto`).

    build_environ(method, path, body, headers, server_name, server_port) -> dict
"""

from __future__ import annotations

import io
import sys
import urllib.parse
from collections.abc import Iterable
from typing import Any

from localcloud.aws.http_common import HOP_BY_HOP


def build_environ(
    method: str,
    path: str,
    body: bytes,
    headers: Iterable[tuple[str, str]],
    server_name: str,
    server_port: int,
) -> dict[str, Any]:
    """What werkzeug's server (with moto's request handler) would make of this request."""
    url = urllib.parse.urlsplit(path)
    environ: dict[str, Any] = {
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "SERVER_SOFTWARE": "localcloud-front",
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": _latin1(urllib.parse.unquote(url.path)),
        "QUERY_STRING": _latin1(url.query),
        "REQUEST_URI": _latin1(path),
        "RAW_URI": _latin1(path),
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": 0,
        "SERVER_NAME": server_name,
        "SERVER_PORT": str(server_port),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_LENGTH": str(len(body)),
    }
    header_list = [(n, v.replace("\r\n", "")) for n, v in headers if n.lower() not in HOP_BY_HOP]
    for name, value in header_list:
        if "_" in name:
            continue
        key = name.upper().replace("-", "_")
        if key != "CONTENT_TYPE":
            key = "HTTP_" + key
            if key in environ:
                value = f"{environ[key]},{value}"
        environ[key] = value
    _preserve_underscored_headers(environ, header_list)
    return environ


def _latin1(text: str) -> str:
    """PEP 3333: the environ carries bytes as latin-1 strings."""
    return text.encode("utf-8").decode("latin-1")


def _preserve_underscored_headers(environ: dict[str, Any], headers: list[tuple[str, str]]) -> None:
    """moto's request handler keeps headers with underscores (S3 metadata): do the same."""
    try:
        from moto.core.request import (
            PRESERVED_HEADER_NAMES_ENVIRON_KEY,
            environ_key_for_header,
            should_preserve_original_header_name,
        )
    except ImportError:  # pragma: no cover - another moto layout
        return
    dashed = {environ_key_for_header(name) for name, _ in headers if "_" not in name}
    names: dict[str, str] = {}
    values: dict[str, list[str]] = {}
    for name, value in headers:
        if not should_preserve_original_header_name(name):
            continue
        key = environ_key_for_header(name)
        if key in dashed:
            continue
        names.setdefault(key, name)
        values.setdefault(key, []).append(value)
    for key, key_values in values.items():
        environ[key] = ",".join(key_values)
    environ[PRESERVED_HEADER_NAMES_ENVIRON_KEY] = names
