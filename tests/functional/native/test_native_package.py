"""build/native/package.py: the artifacts it writes really answer a local Runtime API.

The NATIVE=0 tests use fixture handlers (tests/functional/native/fixtures/functions) with the
real runtime loop and domain package. The ``native`` tests use the real tree and its cached
binary (``sam build`` compiles it first in CI; here a stale cache means one compile).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "build" / "native" / "package.py"
PROBE = ROOT / "build" / "native" / "startup.py"
CHECK = ROOT / "build" / "native" / "check_glibc.py"
FIXTURE_FUNCTIONS = Path(__file__).resolve().parent / "fixtures" / "functions"
PURE_FUNCTIONS = ("validate", "enrich", "vehicle_decoder")


def package(logical_id: str, artifacts: Path, *, native: str, root: Path = ROOT,
            extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run package.py as the Makefile's build-% rule does."""
    env = dict(os.environ, NATIVE=native, **(extra_env or {}))
    return subprocess.run(
        [sys.executable, str(PACKAGE), "--logical-id", logical_id, "--artifacts", str(artifacts),
         "--root", str(root)],
        capture_output=True, text=True, env=env, timeout=1800, check=False,
    )


def probe(bootstrap: Path, handler: str, event: Any) -> dict[str, Any]:
    """Spawn the bootstrap once against a local Runtime API: a cold and a warm invocation."""
    result = subprocess.run(
        [sys.executable, str(PROBE), "--bootstrap", str(bootstrap), "--handler", handler,
         "--event-json", json.dumps(event), "--runs", "1", "--env", f"PYTHON={sys.executable}"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


@pytest.fixture
def fixture_root(tmp_path: Path) -> Path:
    """A source root: the real domain package and runtime loop, the fixture handlers."""
    root = tmp_path / "root"
    (root / "src").mkdir(parents=True)
    for package in ("remote_services", "lambda_runtime"):
        (root / "src" / package).symlink_to(ROOT / "src" / package)
    (root / "functions").symlink_to(FIXTURE_FUNCTIONS)
    return root


def test_native0_artifact_runs_the_handler_under_cpython(fixture_root: Path, tmp_path: Path) -> None:
    artifacts = tmp_path / "EchoFunction"
    result = package("EchoFunction", artifacts, native="0", root=fixture_root)
    assert result.returncode == 0, result.stderr
    bootstrap = artifacts / "bootstrap"
    assert bootstrap.read_bytes().startswith(b"#!/bin/sh")
    assert os.access(bootstrap, os.X_OK)
    for part in ("lambda_runtime/loop.py", "remote_services/__init__.py", "functions/echo/app.py"):
        assert (artifacts / part).is_file(), part
    report = probe(bootstrap, "functions.echo.app.handler", {"hello": "world"})
    cold, warm = report["first_run"]["posts"]
    assert cold["kind"] == "response" and warm["kind"] == "response"
    assert cold["body"]["echo"] == {"hello": "world"}
    assert cold["body"]["requestId"] == cold["requestId"]
    assert cold["body"]["remainingPositive"] is True
    assert cold["body"]["compiled"] is False
    assert cold["body"]["otherHandlerLoaded"] is False  # lazy: only _HANDLER's module is imported
    assert cold["body"]["gcEnabled"] is True and cold["body"]["gcFrozen"] is False  # plain CPython


def test_the_native_entry_turns_the_collector_back_on_after_init(fixture_root: Path, tmp_path: Path) -> None:
    # entry.py run by CPython: the same code that the binary starts with.
    artifacts = tmp_path / "EchoFunction"
    assert package("EchoFunction", artifacts, native="0", root=fixture_root).returncode == 0
    script = artifacts / "bootstrap"
    entry = ROOT / "build" / "native" / "entry.py"
    script.write_text(script.read_text().replace("-m lambda_runtime", str(entry)))
    report = probe(script, "functions.echo.app.handler", {})
    body = report["first_run"]["posts"][0]["body"]
    assert body["gcEnabled"] is True
    assert body["gcFrozen"] is True


def test_native0_handler_error_is_posted_as_an_invocation_error(fixture_root: Path, tmp_path: Path) -> None:
    artifacts = tmp_path / "EchoFunction"
    assert package("EchoFunction", artifacts, native="0", root=fixture_root).returncode == 0
    report = probe(artifacts / "bootstrap", "functions.echo.app.handler", {"fail": "boom"})
    post = report["first_run"]["posts"][0]
    assert post["kind"] == "error"
    assert post["body"]["errorType"] == "ValueError"
    assert post["body"]["errorMessage"] == "boom"


def test_a_function_without_handler_fails_loudly(fixture_root: Path, tmp_path: Path) -> None:
    artifacts = tmp_path / "NoSuchFunction"
    result = package("NoSuchFunction", artifacts, native="0", root=fixture_root)
    assert result.returncode == 1
    assert "functions/no_such/app.py" in result.stderr
    assert not (artifacts / "bootstrap").exists()


@pytest.mark.parametrize(("logical_id", "native", "message"), [
    ("echo", "0", "is not of the form <CamelCase>Function"),
    ("EchoFunction", "yes", "NATIVE must be 0 or 1"),
])
def test_bad_arguments_are_refused(fixture_root: Path, tmp_path: Path, logical_id: str, native: str,
                                   message: str) -> None:
    result = package(logical_id, tmp_path / "out", native=native, root=fixture_root)
    assert result.returncode == 1
    assert message in result.stderr


def test_the_source_tree_is_never_used_as_the_artifact_folder(fixture_root: Path) -> None:
    result = package("EchoFunction", fixture_root, native="0", root=fixture_root)
    assert result.returncode == 1
    assert "refusing" in result.stderr
    assert (fixture_root / "functions" / "echo" / "app.py").is_file()


def test_stale_files_are_replaced(fixture_root: Path, tmp_path: Path) -> None:
    artifacts = tmp_path / "EchoFunction"
    (artifacts / "old").mkdir(parents=True)
    (artifacts / "old" / "stale.py").write_text("x = 1\n")
    assert package("EchoFunction", artifacts, native="0", root=fixture_root).returncode == 0
    assert not (artifacts / "old").exists()


def test_a_failed_build_leaves_no_bootstrap_behind(fixture_root: Path, tmp_path: Path) -> None:
    artifacts = tmp_path / "EchoFunction"
    assert package("EchoFunction", artifacts, native="0", root=fixture_root).returncode == 0
    (fixture_root / "src" / "lambda_runtime").unlink()  # the runtime loop is gone: packaging must fail
    result = package("EchoFunction", artifacts, native="0", root=fixture_root)
    assert result.returncode == 1
    assert "ERROR" in result.stderr
    assert not (artifacts / "bootstrap").exists()


def test_parallel_targets_wait_for_the_one_compile(fixture_root: Path, tmp_path: Path) -> None:
    # A source tree whose binary is not cached: the target must take the build lock first.
    (fixture_root / "functions").unlink()
    (fixture_root / "functions").mkdir()
    for child in FIXTURE_FUNCTIONS.iterdir():
        (fixture_root / "functions" / child.name).symlink_to(child)
    (fixture_root / "functions" / "unique.py").write_text(f"# {tmp_path}\n")
    cache = tmp_path / "cache"
    cache.mkdir()
    artifacts = tmp_path / "EchoFunction"
    with (cache / "build.lock").open("a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # another target is compiling
        result = package("EchoFunction", artifacts, native="1", root=fixture_root,
                         extra_env={"NATIVE_CACHE_DIR": str(cache), "NATIVE_LOCK_TIMEOUT": "1"})
    assert result.returncode == 1
    assert "waiting for another target" in result.stdout
    assert "gave up waiting" in result.stderr
    assert not (artifacts / "bootstrap").exists()
    assert not any(cache.glob("dist-*"))


# --- the real binary (Nuitka) ------------------------------------------------------------------


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the real tree's inputs, so that edits made meanwhile cannot change the cache key.

    The key does not depend on where the tree lives: a clean tree's snapshot reuses the binary
    that ``sam build`` compiled.
    """
    root = tmp_path_factory.mktemp("snapshot")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for relative in ("src/remote_services", "src/lambda_runtime", "functions"):
        shutil.copytree(ROOT / relative, root / relative, ignore=ignore)
    return root


@pytest.fixture(scope="module")
def native_artifact(tmp_path_factory: pytest.TempPathFactory, snapshot: Path) -> Path:
    """The real tree's native artifact (from the cached dist; compiled once if the cache is stale)."""
    artifacts = tmp_path_factory.mktemp("native") / "ValidateFunction"
    result = package("ValidateFunction", artifacts, native="1", root=snapshot)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    return artifacts


@pytest.fixture(scope="module")
def cpython_artifact(tmp_path_factory: pytest.TempPathFactory, snapshot: Path) -> Path:
    """The real tree's NATIVE=0 artifact."""
    artifacts = tmp_path_factory.mktemp("cpython") / "ValidateFunction"
    result = package("ValidateFunction", artifacts, native="0", root=snapshot)
    assert result.returncode == 0, result.stderr
    return artifacts


def comparable(posts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What must be equal natively and under CPython (stack traces name different files)."""
    out = []
    for post in posts:
        body = post["body"]
        if post["kind"] != "response" and isinstance(body, dict):
            body = {"errorType": body.get("errorType"), "errorMessage": body.get("errorMessage")}
        out.append({"kind": post["kind"], "body": body, "errorType": post["errorType"]})
    return out


@pytest.mark.native
def test_native_artifact_is_an_elf_that_loads_on_glibc_2_34(native_artifact: Path) -> None:
    with (native_artifact / "bootstrap").open("rb") as handle:
        assert handle.read(4) == b"\x7fELF"
    result = subprocess.run([sys.executable, str(CHECK), "--max", "2.34", str(native_artifact)],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert (native_artifact / "libz.so.1").is_file()  # Nuitka leaves it out; provided.al2023 may lack it


@pytest.mark.native
def test_a_second_package_run_reuses_the_cached_binary(native_artifact: Path, snapshot: Path,
                                                       tmp_path: Path) -> None:
    result = package("EnrichFunction", tmp_path / "EnrichFunction", native="1", root=snapshot)
    assert result.returncode == 0, result.stderr
    assert "is up to date (no compile)" in result.stdout
    copied = (tmp_path / "EnrichFunction" / "bootstrap").read_bytes()
    assert copied == (native_artifact / "bootstrap").read_bytes()


@pytest.mark.native
@pytest.mark.parametrize("name", PURE_FUNCTIONS)
def test_native_handlers_answer_like_cpython(native_artifact: Path, cpython_artifact: Path,
                                             name: str) -> None:
    events = sorted((ROOT / "events" / name).glob("*.json"))
    assert events, f"no sample events in events/{name}"
    for path in events:
        event = json.loads(path.read_text())
        handler = f"functions.{name}.app.handler"
        native = probe(native_artifact / "bootstrap", handler, event)["first_run"]["posts"]
        cpython = probe(cpython_artifact / "bootstrap", handler, event)["first_run"]["posts"]
        assert comparable(native) == comparable(cpython), path.name
        if not path.name.startswith("invalid"):
            assert native[0]["kind"] == "response", (path.name, native[0])


@pytest.mark.native
def test_an_unknown_handler_is_an_init_error_natively(native_artifact: Path) -> None:
    report = probe(native_artifact / "bootstrap", "functions.nope.app.handler", {})
    post = report["first_run"]["posts"][0]
    assert post["kind"] == "init_error"
    assert post["body"]["errorType"] == "Runtime.ImportModuleError"


@pytest.mark.native
def test_the_binary_keeps_the_start_up_promises(native_artifact: Path) -> None:
    report = probe(native_artifact / "bootstrap", "native_probe.handler", {})
    cold, warm = report["first_run"]["posts"]
    assert cold["kind"] == "response" and warm["kind"] == "response", cold
    facts = cold["body"]
    assert facts["requestId"] == cold["requestId"]
    assert facts["compiled"] is True
    assert facts["siteLoaded"] is False  # --python-flag=no_site
    assert facts["docstrings"] is False  # --python-flag=no_docstrings
    assert facts["cJson"] is True  # --include-module=_json
    assert facts["loadedFunctions"] == []  # every handler is in the binary, none is imported
    assert facts["inspectHeavyImports"] == []  # lazy_inspect.py took effect
    assert facts["gcEnabled"] is True and facts["gcFrozen"] is True  # entry.py: collector back on after init
    # inspect (imported by Nuitka at every start) is a stub until first used, then the real module
    assert facts["inspectFullLoadedAtStart"] is False
    assert facts["inspectGeneratorState"] == "GEN_CREATED"
    assert facts["inspectFrameFunction"] == "_inspect_facts"
    assert facts["inspectStack"] == "_inspect_facts"
