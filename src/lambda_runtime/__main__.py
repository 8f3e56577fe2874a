"""``python -m lambda_runtime``: run the Runtime API loop until the process is stopped."""

import sys

from lambda_runtime.loop import main

if __name__ == "__main__":
    sys.exit(main())
