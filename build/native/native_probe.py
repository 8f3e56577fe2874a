"""A diagnostic handler compiled into the native binary: ``_HANDLER=native_probe.handler``.

It is never imported unless a function's Handler names it, so it costs nothing otherwise. The
native tests use it to check, inside the real binary, what the build promises: compiled code,
no ``site``, the C ``json`` accelerator, lazy handler imports, the garbage collector back on
after init, and no heavy ``inspect`` dependencies at start.
"""

import gc
import sys
from typing import Any


def handler(event: Any, context: Any) -> dict[str, Any]:
    """Describe the running process."""
    try:  # --include-module=_json: Nuitka's anti-bloat drops the C accelerator otherwise
        import _json  # noqa: F401

        c_json = True
    except ImportError:
        c_json = False
    return {
        "compiled": "__compiled__" in globals(),
        "siteLoaded": "site" in sys.modules,
        "cJson": c_json,
        "loadedFunctions": sorted(name for name in sys.modules if name.startswith("functions.")),
        "inspectHeavyImports": sorted({"ast", "dis", "tokenize", "linecache"} & set(sys.modules)),
        "gcEnabled": gc.isenabled(),
        "gcFrozen": gc.get_freeze_count() > 0,
        "docstrings": handler.__doc__ is not None,
        "modules": len(sys.modules),
        "requestId": context.aws_request_id,
        **_inspect_facts(),
    }


def _inspect_facts() -> dict[str, Any]:
    """inspect is a stub until first used (lazy_inspect.py); then it must work on compiled code."""
    loaded_before = "_inspect_full" in sys.modules
    import inspect

    def generator() -> Any:
        yield 1

    return {
        "inspectFullLoadedAtStart": loaded_before,
        "inspectSignature": str(inspect.signature(_inspect_facts)),
        "inspectGeneratorState": inspect.getgeneratorstate(generator()),
        "inspectFrameFunction": inspect.getframeinfo(sys._getframe()).function,
        "inspectStack": inspect.stack()[0].function,
    }
