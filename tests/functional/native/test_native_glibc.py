"""check_glibc.py on real ELF files compiled here (the hypot trap and its shim), and lazy_inspect.py."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
CHECK = ROOT / "build" / "native" / "check_glibc.py"
SHIM = ROOT / "build" / "native" / "hypot_shim.c"
GCC = shutil.which("gcc")

HYPOT_PROGRAM = r"""
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
    double a = argc > 1 ? atof(argv[1]) : 3.0;  /* not a constant: gcc must call hypot */
    printf("%g\n", hypot(a, 4.0));
    return 0;
}
"""

needs_gcc = pytest.mark.skipif(GCC is None, reason="gcc is not installed")


def host_glibc() -> tuple[int, ...]:
    """The host's glibc version, e.g. (2, 36)."""
    text = os.confstr("CS_GNU_LIBC_VERSION") or "glibc 0.0"
    return tuple(int(part) for part in text.split()[1].split("."))


def check(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run the checker as the Makefile does."""
    return subprocess.run([sys.executable, str(CHECK), *map(str, args)], capture_output=True, text=True,
                          timeout=60, check=False)


def compile_c(tmp: Path, name: str, *extra: str) -> Path:
    """Compile HYPOT_PROGRAM (plus extra gcc arguments) into tmp/name and check that it runs."""
    assert GCC is not None
    source = tmp / "hypot.c"
    source.write_text(HYPOT_PROGRAM)
    binary = tmp / name
    subprocess.run([GCC, "-O2", "-o", str(binary), str(source), *extra, "-lm"], check=True, timeout=120)
    assert subprocess.run([str(binary)], capture_output=True, text=True, check=True).stdout == "5\n"
    return binary


@needs_gcc
@pytest.mark.skipif(host_glibc() < (2, 35), reason="hypot@GLIBC_2.35 exists only on glibc >= 2.35 hosts")
def test_plain_hypot_needs_glibc_2_35_and_fails_the_check(tmp_path: Path) -> None:
    binary = compile_c(tmp_path, "plain")
    result = check("--max", "2.34", tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{binary}: needs GLIBC_2.35 from libm.so.6: hypot" in result.stderr
    assert "FAILED" in result.stderr


@needs_gcc
def test_wrapped_hypot_passes_the_check(tmp_path: Path) -> None:
    assert GCC is not None
    shim = tmp_path / "shim.o"
    subprocess.run([GCC, "-O2", "-fPIC", "-c", "-o", str(shim), str(SHIM)], check=True, timeout=120)
    compile_c(tmp_path, "wrapped", str(shim), "-Wl,--wrap=hypot")
    shim.unlink()  # only the program is under test
    result = check("--max", "2.34", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK: 1 ELF files" in result.stdout


@needs_gcc
def test_a_lower_maximum_fails_on_any_host(tmp_path: Path) -> None:
    compile_c(tmp_path, "plain")
    result = check("--max", "2.2", tmp_path)
    assert result.returncode == 1
    assert "needs GLIBC_2." in result.stderr


@needs_gcc
def test_elf_files_are_found_by_magic_not_by_name(tmp_path: Path) -> None:
    (tmp_path / "fake.so").write_text("not an ELF, whatever the name says\n")
    hidden = tmp_path / "deep" / "er"
    hidden.mkdir(parents=True)
    binary = compile_c(hidden, "x")
    binary.rename(hidden / "notes.txt")
    result = check("--max", "2.2", tmp_path)
    assert result.returncode == 1
    assert "notes.txt: needs GLIBC_2." in result.stderr
    assert "fake.so" not in result.stderr


def build_dir(tmp: Path, layer_build: str = "b1", function_build: str = "b1") -> Path:
    """A ``sam build`` folder of the layer layout: the layer (an ELF that passes) and two functions."""
    assert GCC is not None
    layer = tmp / "build" / "NativeRuntimeLayer"
    layer.mkdir(parents=True)
    shim = tmp / "shim.o"
    subprocess.run([GCC, "-O2", "-fPIC", "-c", "-o", str(shim), str(SHIM)], check=True, timeout=120)
    compile_c(layer, "bootstrap", str(shim), "-Wl,--wrap=hypot")
    (layer / "hypot.c").unlink()
    manifest = {"layer": "NativeRuntimeLayer", "build": layer_build}
    (layer / "native-runtime.json").write_text(json.dumps(manifest))
    for name in ("ValidateFunction", "EnrichFunction"):
        (tmp / "build" / name).mkdir()
        (tmp / "build" / name / "function.json").write_text(json.dumps({"layerBuild": function_build}))
    return tmp / "build"


@needs_gcc
def test_the_layer_is_checked_and_its_functions_carry_no_elf(tmp_path: Path) -> None:
    result = check("--max", "2.34", build_dir(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK: 1 ELF files" in result.stdout
    assert "2 function artifact(s) without ELF" in result.stdout


@needs_gcc
def test_an_elf_in_a_function_artifact_fails(tmp_path: Path) -> None:
    build = build_dir(tmp_path)
    shutil.copy2(build / "NativeRuntimeLayer" / "bootstrap", build / "EnrichFunction" / "bootstrap")
    result = check("--max", "2.34", build)
    assert result.returncode == 1
    assert f"{build}/EnrichFunction/bootstrap: an ELF in a function artifact" in result.stderr
    assert "ValidateFunction" not in result.stderr


@needs_gcc
def test_a_function_packaged_for_another_layer_build_fails(tmp_path: Path) -> None:
    build = build_dir(tmp_path, layer_build="new", function_build="old")
    result = check("--max", "2.34", build)
    assert result.returncode == 1
    assert f"{build}/ValidateFunction: packaged for layer build old, but the layer here is build new" in (
        result.stderr)


@needs_gcc
def test_a_layer_above_the_maximum_fails(tmp_path: Path) -> None:
    result = check("--max", "2.2", build_dir(tmp_path))
    assert result.returncode == 1
    assert "NativeRuntimeLayer/bootstrap: needs GLIBC_2." in result.stderr


def test_a_folder_without_any_elf_fails(tmp_path: Path) -> None:
    (tmp_path / "bootstrap").write_text("#!/bin/sh\nexec python3 -m lambda_runtime\n")
    result = check("--max", "2.34", tmp_path)
    assert result.returncode == 2
    assert "no ELF file under" in result.stderr


def test_a_missing_folder_fails(tmp_path: Path) -> None:
    result = check("--max", "2.34", tmp_path / "nope")
    assert result.returncode == 2
    assert "does not exist" in result.stderr


def test_a_truncated_elf_is_an_error_not_a_pass(tmp_path: Path) -> None:
    (tmp_path / "broken").write_bytes(b"\x7fELF\x02\x01\x01" + b"\0" * 20)
    result = check("--max", "2.34", tmp_path)
    assert result.returncode == 2
    assert "cannot read ELF" in result.stderr


def test_a_bad_maximum_is_refused(tmp_path: Path) -> None:
    result = check("--max", "two", tmp_path)
    assert result.returncode == 2
    assert "--max" in result.stderr


def test_the_lazy_inspect_rewrite_behaves_like_inspect() -> None:
    # The rewrite that build/native/lazy_inspect.py gives Nuitka, executed by this Python.
    script = ROOT / "build" / "native" / "lazy_inspect.py"
    result = subprocess.run([sys.executable, "-S", str(script), "--check"], capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK" in result.stdout
