"""The repository's own templates (stacks/shared.yaml, then template.yaml for blue), provisioned into
moto: what the local cloud relies on is there."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from localcloud.aws.moto_server import MotoServer
from localcloud.provision import Provisioned, provision
from localcloud.stacks import combined
from tests.support.moto import running_moto

ROOT = Path(__file__).resolve().parents[3]
boto3: Any = importlib.import_module("boto3")


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    with running_moto() as server:
        yield server


@pytest.fixture(scope="module")
def prov(moto: MotoServer) -> Provisioned:
    params = {
        "BrokerUrl": "http://127.0.0.1:9/b",
        "SubscriberUrl": "http://127.0.0.1:9/s",
        "EnvironmentName": "prov-test",
    }
    shared = provision(
        ROOT / "stacks" / "shared.yaml",
        moto.url,
        {"EnvironmentName": "prov-test"},
        stack_name="prov-test-shared",
    )
    colour = provision(ROOT / "template.yaml", moto.url, params, stack_name="prov-test-blue")
    return combined(shared, colour)


def sub_attrs(moto: MotoServer, arn: str) -> dict[str, str]:
    sns = boto3.client(
        "sns",
        endpoint_url=moto.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    return dict(sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"])


def test_every_function_and_mapping(prov: Provisioned) -> None:
    assert set(prov.functions) >= {
        "ValidateFunction",
        "EnrichFunction",
        "VehicleDecoderFunction",
        "PersisterFunction",
        "DistributorFunction",
        "LifecycleSchedulerFunction",
        "LifecycleCheckerFunction",
        "VehicleConnectorFunction",
        "DisclosureFunction",
    }
    by_fn = {m.function: m for m in prov.event_source_mappings}
    persister = by_fn["PersisterFunction"]
    assert persister.batch_size == 10 and persister.report_batch_item_failures
    for fn in (
        "DistributorFunction",
        "LifecycleSchedulerFunction",
        "LifecycleCheckerFunction",
        "VehicleConnectorFunction",
    ):
        assert fn in by_fn, fn
    assert prov.functions["PersisterFunction"].env["EVENTS_TABLE"] == prov.physical_ids["EventsTable"]
    assert prov.functions["VehicleConnectorFunction"].env["BROKER_URL"] == "http://127.0.0.1:9/b"


def test_pipe_tables_and_api(prov: Provisioned) -> None:
    (pipe,) = prov.pipes
    assert pipe.source_queue_url == prov.physical_ids["IncomingQueue"]
    assert pipe.enrichment_function == prov.functions["VehicleDecoderFunction"].name
    assert pipe.target_arn == prov.physical_ids["IncomingStateMachine"]
    assert {t.table_name for t in prov.ttl_tables} >= {prov.physical_ids["EventsTable"]}
    assert prov.api is not None
    assert "/v1/vehicles/{vin}/services/{service}" in prov.api.openapi["paths"]
    text = json.dumps(prov.api.openapi)
    assert "Fn::" not in text and '"Ref"' not in text  # every intrinsic resolved
    # the stage variable picks the colour: the workflow's name with ${colour} in it
    machine = prov.physical_ids["EventCreationStateMachine"]
    assert machine.replace("-blue-", "-${colour}-") in text


def test_subscription_filters_match_the_contract(prov: Provisioned, moto: MotoServer) -> None:
    assert "FilterPolicy" not in sub_attrs(moto, prov.physical_ids["PersisterSubscription"])
    dist = sub_attrs(moto, prov.physical_ids["DistributorSubscription"])
    assert json.loads(dist["FilterPolicy"]) == {"final": ["true"], "push": ["true"]}
    assert dist["RawMessageDelivery"] == "true"
    life = sub_attrs(moto, prov.physical_ids["LifecycleSubscription"])
    assert json.loads(life["FilterPolicy"]) == {"final": ["false"]}
    disclosure = sub_attrs(moto, prov.physical_ids["DisclosureSubscription"])
    assert disclosure["FilterPolicyScope"] == "MessageBody"


def test_every_function_runs_from_the_native_layer(prov: Provisioned) -> None:
    layer = (ROOT / "layers" / "native-runtime").resolve()  # the source template: ContentUri
    arn = "arn:aws:lambda:us-east-1:123456789012:layer:prov-test-blue-native-runtime:1"
    assert prov.layers == {arn: layer}
    assert {fn.layer_dirs for fn in prov.functions.values()} == {(layer,)}  # Globals: Layers
    assert prov.physical_ids["NativeRuntimeLayer"] in prov.layers
