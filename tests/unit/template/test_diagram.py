"""docs/architecture.md: the diagram is generated from the sources and up to date, and the page
names every resource of the pipeline."""

from __future__ import annotations

import importlib.util
from types import ModuleType

from tests.unit.template.cfn_yaml import ROOT, load


def diagram_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_diagram", ROOT / "docs" / "diagram.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_diagram_in_the_docs_is_up_to_date() -> None:
    assert diagram_module().main(["--check"]) == 0


def test_the_diagram_draws_every_step_from_the_sources() -> None:
    module = diagram_module()
    text = module.mermaid(module.Model().build())
    edges = {
        tuple(line.strip().replace('"', "").split(" -->|")) for line in text.splitlines() if "-->|" in line
    }
    expected = {
        ("Api", "POST /v1/vehicles/{vin}/services/{service}: StartSyncExecution| EventCreationStateMachine"),
        ("Api", "GET /v1/vehicles/{vin}/services/{service}: Query| EventsTable"),
        ("EventCreationStateMachine", "lambda:invoke| ValidateFunction"),
        ("EventCreationStateMachine", "dynamodb:putItem| VehicleLockTable"),
        ("EventCreationStateMachine", "sqs:sendMessage| OutgoingQueue"),
        ("EventsTopic", "final=true, push=true| DistributorQueue"),
        ("IncomingPipe", "REQUEST_RESPONSE| IncomingStateMachine"),
        ("IncomingStateMachine", "sns:publish| EventsTopic"),
        ("VehicleConnectorFunction", "HTTPS POST, 1 s timeout + retry| Broker"),
    }
    assert expected <= edges


def test_the_page_names_every_resource_of_the_pipeline() -> None:
    page = (ROOT / "docs" / "architecture.md").read_text()
    skip = ("LogGroup", "Alarm", "DeadLetterQueue", "Subscription")
    for lid in load(ROOT / "template.yaml")["Resources"]:
        if not lid.endswith(skip) or lid == "IncomingDeadLetterQueue":
            assert f"`{lid}" in page or f"{lid}" in page, lid
