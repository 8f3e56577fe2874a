"""The scenario runner: runs scenario cases (simulator.scenario) against a target (the local cloud, or a
deployed stack's API), checks each case's expectations, and writes the reports.

    python -m simulator run [--target local|URL] [--matrix] [--cases PATTERN] [--concurrency N]

Modules: targets (what the runner talks to), vehicles (one command in flight per vehicle),
execute (one case), suite (the cases concurrently, with progress), report (table, JUnit XML, JSON),
cli. docs/test-harness.md is the contract with the scenario files and the deployable mocks.
"""
