"""build/native/package.py: the layer and the function artifacts it writes really answer a local
Runtime API, run as Lambda runs them: the layer's ``bootstrap`` (``/opt``) with the function's
artifact as task root.

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
UPLOAD = ROOT / "build" / "native" / "upload_size.py"
FIXTURE_FUNCTIONS = Path(__file__).resolve().parent / "fixtures" / "functions"
PURE_FUNCTIONS = ("validate", "enrich", "vehicle_decoder")


LAYER = "NativeRuntimeLayer"


def package(logical_id: str, artifacts: Path, *, native: str, root: Path = ROOT,
            extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run package.py as the Makefile's rules do (build-NativeRuntimeLayer, build-%)."""
    env = dict(os.environ, NATIVE=native, **(extra_env or {}))
    layer = ["--layer"] if logical_id == LAYER else []
    return subprocess.run(
        [sys.executable, str(PACKAGE), *layer, "--logical-id", logical_id, "--artifacts", str(artifacts),
         "--root", str(root)],
        capture_output=True, text=True, env=env, timeout=1800, check=False,
    )


def probe(bootstrap: Path, handler: str, event: Any, task_root: Path | None = None) -> dict[str, Any]:
    """Spawn the bootstrap once against a local Runtime API: a cold and a warm invocation."""
    where = [] if task_root is None else ["--task-root", str(task_root)]
    result = subprocess.run(
        [sys.executable, str(PROBE), "--bootstrap", str(bootstrap), *where, "--handler", handler,
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


def manifest(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def test_native0_layer_runs_the_handler_of_a_function_under_cpython(fixture_root: Path,
                                                                   tmp_path: Path) -> None:
    layer, function = tmp_path / LAYER, tmp_path / "EchoFunction"
    result = package(LAYER, layer, native="0", root=fixture_root)
    assert result.returncode == 0, result.stderr
    assert package("EchoFunction", function, native="0", root=fixture_root).returncode == 0
    bootstrap = layer / "bootstrap"
    assert bootstrap.read_bytes().startswith(b"#!/bin/sh")
    assert os.access(bootstrap, os.X_OK)
    for part in ("lambda_runtime/loop.py", "remote_services/__init__.py", "functions/echo/app.py"):
        assert (layer / part).is_file(), part
    # The function's artifact is its manifest, naming the layer build it was packaged for.
    assert [p.name for p in function.iterdir()] == ["function.json"]
    assert manifest(function / "function.json") == {
        "function": "EchoFunction", "handler": "functions.echo.app.handler", "native": 0,
        "layer": LAYER, "layerBuild": manifest(layer / "native-runtime.json")["build"],
    }
    assert "functions.echo.app.handler" in manifest(layer / "native-runtime.json")["handlers"]
    report = probe(bootstrap, "functions.echo.app.handler", {"hello": "world"}, task_root=function)
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
    artifacts = tmp_path / LAYER
    assert package(LAYER, artifacts, native="0", root=fixture_root).returncode == 0
    script = artifacts / "bootstrap"
    entry = ROOT / "build" / "native" / "entry.py"
    script.write_text(script.read_text().replace("-m lambda_runtime", str(entry)))
    report = probe(script, "functions.echo.app.handler", {})
    body = report["first_run"]["posts"][0]["body"]
    assert body["gcEnabled"] is True
    assert body["gcFrozen"] is True


def test_native0_handler_error_is_posted_as_an_invocation_error(fixture_root: Path, tmp_path: Path) -> None:
    artifacts = tmp_path / LAYER
    assert package(LAYER, artifacts, native="0", root=fixture_root).returncode == 0
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
    assert not (artifacts / "function.json").exists()


@pytest.mark.parametrize(("logical_id", "native", "message"), [
    ("echo", "0", "is not of the form <CamelCase>Function"),
    ("EchoFunction", "yes", "NATIVE must be 0 or 1"),
    (LAYER, "yes", "NATIVE must be 0 or 1"),
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


def test_the_layer_is_packaged_only_under_its_logical_id(fixture_root: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(PACKAGE), "--layer", "--logical-id", "EchoFunction", "--artifacts",
         str(tmp_path / "out"), "--root", str(fixture_root)],
        capture_output=True, text=True, env=dict(os.environ, NATIVE="0"), timeout=120, check=False,
    )
    assert result.returncode == 1
    assert f"the layer's logical id is {LAYER}" in result.stderr


@pytest.mark.parametrize("logical_id", ["EchoFunction", LAYER])
def test_stale_files_are_replaced(fixture_root: Path, tmp_path: Path, logical_id: str) -> None:
    artifacts = tmp_path / logical_id
    (artifacts / "old").mkdir(parents=True)
    (artifacts / "old" / "stale.py").write_text("x = 1\n")
    (artifacts / "bootstrap").write_text("#!/bin/sh\n")  # a function of the layout before the layer
    assert package(logical_id, artifacts, native="0", root=fixture_root).returncode == 0
    assert not (artifacts / "old").exists()
    assert (artifacts / "bootstrap").exists() == (logical_id == LAYER)


@pytest.mark.parametrize("logical_id", ["EchoFunction", LAYER])
def test_a_failed_build_leaves_an_empty_artifact(fixture_root: Path, tmp_path: Path, logical_id: str) -> None:
    artifacts = tmp_path / logical_id
    assert package(logical_id, artifacts, native="0", root=fixture_root).returncode == 0
    (fixture_root / "src" / "lambda_runtime").unlink()  # the runtime loop is gone: packaging must fail
    result = package(logical_id, artifacts, native="0", root=fixture_root)
    assert result.returncode == 1
    assert "ERROR" in result.stderr
    assert list(artifacts.iterdir()) == []


def test_parallel_targets_wait_for_the_one_compile(fixture_root: Path, tmp_path: Path) -> None:
    # A source tree whose binary is not cached: the target must take the build lock first.
    (fixture_root / "functions").unlink()
    (fixture_root / "functions").mkdir()
    for child in FIXTURE_FUNCTIONS.iterdir():
        (fixture_root / "functions" / child.name).symlink_to(child)
    (fixture_root / "functions" / "unique.py").write_text(f"# {tmp_path}\n")
    cache = tmp_path / "cache"
    cache.mkdir()
    artifacts = tmp_path / LAYER
    with (cache / "build.lock").open("a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # another target is compiling
        result = package(LAYER, artifacts, native="1", root=fixture_root,
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
    """The real tree's native layer (from the cached dist; compiled once if the cache is stale)."""
    artifacts = tmp_path_factory.mktemp("native") / LAYER
    result = package(LAYER, artifacts, native="1", root=snapshot)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    return artifacts


@pytest.fixture(scope="module")
def cpython_artifact(tmp_path_factory: pytest.TempPathFactory, snapshot: Path) -> Path:
    """The real tree's NATIVE=0 layer."""
    artifacts = tmp_path_factory.mktemp("cpython") / LAYER
    result = package(LAYER, artifacts, native="0", root=snapshot)
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
    result = package(LAYER, tmp_path / LAYER, native="1", root=snapshot)
    assert result.returncode == 0, result.stderr
    assert "is up to date (no compile)" in result.stdout
    copied = (tmp_path / LAYER / "bootstrap").read_bytes()
    assert copied == (native_artifact / "bootstrap").read_bytes()


@pytest.mark.native
def test_a_native_function_is_a_manifest_of_the_layer_build_and_runs_from_it(
        native_artifact: Path, snapshot: Path, tmp_path: Path) -> None:
    build = native_artifact.parent  # a build folder: the layer and its functions side by side
    function = build / "ValidateFunction"
    result = package("ValidateFunction", function, native="1", root=snapshot)
    assert result.returncode == 0, result.stderr
    assert [p.name for p in function.iterdir()] == ["function.json"]  # no ELF, no copy of the binary
    layer = manifest(native_artifact / "native-runtime.json")
    assert layer["native"] == 1 and layer["glibcMax"] == "2.34"
    assert manifest(function / "function.json")["layerBuild"] == layer["build"]
    event = json.loads((ROOT / "events" / "validate" / "horn-blow.json").read_text())
    posts = probe(native_artifact / "bootstrap", "functions.validate.app.handler", event,
                  task_root=function)["first_run"]["posts"]
    assert posts[0]["kind"] == "response", posts[0]
    # The layer and its function pass the check; a function packaged for another build does not.
    result = subprocess.run([sys.executable, str(CHECK), "--max", "2.34", str(build)],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert "1 function artifact(s) without ELF" in result.stdout
    other = build / "EnrichFunction"
    assert package("EnrichFunction", other, native="0", root=snapshot).returncode == 0
    result = subprocess.run([sys.executable, str(CHECK), "--max", "2.34", str(build)],
                            capture_output=True, text=True, timeout=120, check=False)
    shutil.rmtree(other)
    assert result.returncode == 1
    assert f"{other}: packaged for layer build cpython-" in result.stderr


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


def test_upload_size_compares_the_layer_layout_with_a_binary_per_function(fixture_root: Path,
                                                                         tmp_path: Path) -> None:
    build = tmp_path / "build"
    assert package(LAYER, build / LAYER, native="0", root=fixture_root).returncode == 0
    assert package("EchoFunction", build / "EchoFunction", native="0", root=fixture_root).returncode == 0
    # The layout before the layer: each function folder held the whole runtime.
    before = tmp_path / "before"
    for name in ("EchoFunction", "OtherFunction"):
        shutil.copytree(build / LAYER, before / name, ignore=shutil.ignore_patterns("native-runtime.json"))
    (build / "OtherFunction").mkdir()
    shutil.copy2(build / "EchoFunction" / "function.json", build / "OtherFunction" / "function.json")
    result = subprocess.run([sys.executable, str(UPLOAD), "--json", str(build)], capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    old = subprocess.run([sys.executable, "-c", "import sys, upload_size as u; "
                          "print(sum(u.zip_size(p)[0] for p in sorted(u.Path(sys.argv[1]).iterdir())))",
                          str(before)], capture_output=True, text=True, timeout=120, check=False,
                         cwd=UPLOAD.parent, env=dict(os.environ, PYTHONPATH=str(UPLOAD.parent)))
    assert report["before"]["sum_bytes"] == int(old.stdout)  # the same bytes as the real old layout
    assert report["before"]["distinct_bytes"] == report["before"]["each_bytes"]  # identical copies
    functions = report["functions"]
    assert set(functions) == {"EchoFunction", "OtherFunction"} and max(functions.values()) < 1000
    assert report["after"]["sum_bytes"] == report["layer"]["zip_bytes"] + sum(functions.values())
    assert report["after"]["sum_bytes"] < report["before"]["sum_bytes"]
    assert report["after"]["distinct_bytes"] < report["after"]["sum_bytes"]  # two identical manifests


def test_upload_size_needs_a_built_layer(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, str(UPLOAD), str(tmp_path)], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 2
    assert "expected one layer" in result.stderr
