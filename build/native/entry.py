"""Nuitka entry point of the one native binary (``bootstrap``) that holds every handler.

It runs the Lambda Runtime API loop. The loop imports only the handler named by
``_HANDLER`` (``functions.<name>.app.handler``), lazily, so each function pays only for its
own imports. ``package.py`` compiles this file with ``--include-package`` for ``functions``,
``remote_services`` and ``lambda_runtime``: every handler is compiled in, none is imported
until asked for.

Start-up: the cyclic garbage collector stays off while the loop and the handler are imported
(those allocations are never garbage: collecting them is wasted CPU on every cold start), then
the surviving objects are frozen out of future collections and the collector is switched on.
"""

import gc

gc.disable()

from lambda_runtime import loop  # noqa: E402  (after gc.disable on purpose)


def _collector_back_on() -> None:
    gc.freeze()
    gc.enable()


def _wrap_load_handler() -> None:
    """Switch the collector back on as soon as the handler is imported (or failed to be)."""
    original = getattr(loop, "load_handler", None)
    if original is None:  # the loop changed shape: do not risk running without a collector
        _collector_back_on()
        return

    def load_handler(spec: str) -> object:
        try:
            return original(spec)
        finally:
            _collector_back_on()

    loop.load_handler = load_handler


if __name__ == "__main__":
    _wrap_load_handler()
    raise SystemExit(loop.main())
