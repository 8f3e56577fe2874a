"""What a deployment uploads, with the layer and as it was before it (``make upload-size``).

Usage: ``upload_size.py [--json] BUILD_DIR`` (default ``.aws-sam/build``, after ``sam build``)

Every artifact is zipped as ``sam package`` zips it (deflate, default level) and measured:

- after: the layer (the folder with ``native-runtime.json``) + every function (``function.json``);
- before: every function carried the whole binary, i.e. the layer's files without its manifest,
  once per function.

SAM names the S3 object of an artifact by a checksum of its files, so identical artifacts are
uploaded once per deployment: ``distinct_bytes`` is what goes to S3 with that de-duplication,
``sum_bytes`` is the total of the deployment packages (what Lambda stores, one per function and
per layer version). docs/native.md reports both.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import zipfile
from pathlib import Path

LAYER_MANIFEST = "native-runtime.json"  # the same names as package.py
FUNCTION_MANIFEST = "function.json"


def zip_size(folder: Path, skip: frozenset[str] = frozenset()) -> tuple[int, str]:
    """The folder as a deflated zip, in bytes, and a checksum of its files (names + contents)."""
    digest = hashlib.md5(usedforsecurity=False)
    with tempfile.TemporaryFile() as handle:
        with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.rglob("*")):
                relative = path.relative_to(folder)
                if not path.is_file() or str(relative) in skip or "__pycache__" in relative.parts:
                    continue
                archive.write(path, relative)
                digest.update(str(relative).encode())
                digest.update(path.read_bytes())
        return handle.tell(), digest.hexdigest()


def report(build_dir: Path) -> dict[str, object]:
    """Sizes of the layer and the functions under ``build_dir``, and of the layout before the layer."""
    folders = sorted(p for p in build_dir.iterdir() if p.is_dir())
    layers = [p for p in folders if (p / LAYER_MANIFEST).is_file()]
    functions = [p for p in folders if (p / FUNCTION_MANIFEST).is_file()]
    if len(layers) != 1 or not functions:
        raise ValueError(f"{build_dir}: expected one layer ({LAYER_MANIFEST}) and functions "
                         f"({FUNCTION_MANIFEST}); found {len(layers)} layer(s), {len(functions)} "
                         "function(s): run `sam build` first")
    layer_bytes, layer_sum = zip_size(layers[0])
    function_sizes = {p.name: zip_size(p) for p in functions}
    binary_bytes, _ = zip_size(layers[0], skip=frozenset({LAYER_MANIFEST}))  # nine identical copies
    after = [layer_bytes, *(size for size, _ in function_sizes.values())]
    after_distinct = {layer_sum: layer_bytes}
    after_distinct.update({digest: size for size, digest in function_sizes.values()})
    return {
        "build_dir": str(build_dir),
        "layer": {"name": layers[0].name, "zip_bytes": layer_bytes},
        "functions": {name: size for name, (size, _) in function_sizes.items()},
        "before": {"artifacts": len(functions), "sum_bytes": binary_bytes * len(functions),
                   "distinct_bytes": binary_bytes, "each_bytes": binary_bytes},
        "after": {"artifacts": len(after), "sum_bytes": sum(after),
                  "distinct_bytes": sum(after_distinct.values())},
    }


def main(argv: list[str] | None = None) -> int:
    """Command line entry."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("build_dir", nargs="?", type=Path, default=Path(".aws-sam/build"))
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    try:
        data = report(args.build_dir)
    except (OSError, ValueError) as error:
        print(f"upload-size: ERROR: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    before, after = data["before"], data["after"]
    assert isinstance(before, dict) and isinstance(after, dict)
    layer = data["layer"]
    functions = data["functions"]
    assert isinstance(layer, dict) and isinstance(functions, dict)
    print(f"layer {layer['name']}: {layer['zip_bytes']:,} bytes zipped")
    for name, size in functions.items():
        print(f"function {name}: {size:,} bytes zipped")
    print(f"before (the binary in each of {before['artifacts']} functions): {before['sum_bytes']:,} bytes "
          f"in total, {before['distinct_bytes']:,} distinct (SAM uploads identical artifacts once)")
    print(f"after (one layer + {len(functions)} functions): {after['sum_bytes']:,} bytes in total, "
          f"{after['distinct_bytes']:,} distinct")
    return 0


if __name__ == "__main__":
    sys.exit(main())
