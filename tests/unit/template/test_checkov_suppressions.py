"""Every checkov suppression in template.yaml carries its reason: `make checkov` (run by `make test`)
fails on any failed check, and a check is only ever skipped in the resource's
`Metadata.checkov.skip` with a comment that says why, for this project."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.unit.template.cfn_yaml import ROOT, load

TEMPLATE_TEXT = (ROOT / "template.yaml").read_text()
RESOURCES: dict[str, Any] = load(ROOT / "template.yaml")["Resources"]
MIN_REASON = 20


def _skips() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for lid, res in RESOURCES.items():
        metadata = res.get("Metadata") or {}
        for skip in (metadata.get("checkov") or {}).get("skip") or []:
            found.append((lid, skip))
    return found


SKIPS = _skips()


def test_the_template_has_suppressions_to_check() -> None:
    assert len(SKIPS) > 10


@pytest.mark.parametrize(("lid", "skip"), SKIPS, ids=[f"{lid}-{skip.get('id')}" for lid, skip in SKIPS])
def test_every_suppression_names_a_check_and_gives_a_reason(lid: str, skip: dict[str, Any]) -> None:
    assert set(skip) == {"id", "comment"}, (lid, skip)
    assert re.fullmatch(r"CKV2?_AWS_\d+", str(skip["id"])), (lid, skip)
    comment = skip["comment"]
    assert isinstance(comment, str) and len(comment.strip()) >= MIN_REASON, (lid, skip["id"], comment)
    assert comment.strip().lower() not in {"no comment provided", "todo", "false positive"}


@pytest.mark.parametrize("lid", sorted({lid for lid, _ in SKIPS}))
def test_a_check_is_skipped_once_per_resource(lid: str) -> None:
    ids = [skip["id"] for other, skip in SKIPS if other == lid]
    assert len(ids) == len(set(ids)), lid


def test_no_suppression_hides_outside_the_metadata() -> None:
    """Inline `# checkov:skip=` comments and `bridgecrew` blocks would escape the checks above."""
    assert not re.search(r"checkov:skip\s*=", TEMPLATE_TEXT, re.IGNORECASE)
    assert all("bridgecrew" not in (res.get("Metadata") or {}) for res in RESOURCES.values())
