"""`python -m simulator run ...`: the scenario runner (simulator.runner.cli)."""

import sys

from simulator.runner.cli import main

sys.exit(main())
