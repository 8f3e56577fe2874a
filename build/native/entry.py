"""Nuitka entry point of the one native binary (``bootstrap``) that holds every handler.

It runs the Lambda Runtime API loop. The loop imports only the handler named by
``_HANDLER`` (``functions.<name>.app.handler``), lazily, so each function pays only for its
own imports. ``package.py`` compiles this file with ``--include-package`` for ``functions``,
``remote_services`` and ``lambda_runtime``: every handler is compiled in, none is imported
until asked for.
"""

from lambda_runtime.loop import main

if __name__ == "__main__":
    raise SystemExit(main())
