"""Make ``inspect`` cheap to import in the native binary (a Nuitka anti-bloat configuration).

Nuitka's compiled program imports ``inspect`` at start-up, before any user code, to patch it
for compiled functions (``patchInspectModule`` in Nuitka's C runtime). ``inspect`` imports
``ast``, ``dis``, ``tokenize``, ``token``, ``linecache``, ``importlib.machinery`` and ``re`` at
module level: about 12 ms of CPU on every cold start, although no handler here uses any of them.

This script rewrites those imports into lazy ones, for the ``inspect.py`` of the Python that
runs Nuitka: ``X.attr`` becomes ``__import__("X").attr`` (imported on first use, as before,
then a dictionary lookup), ``dis.COMPILER_FLAG_NAMES`` at module level becomes its literal
value, and ``_ClassFinder`` (an ``ast.NodeVisitor``) gets a base class that delegates to
``ast.NodeVisitor`` on first use. Every rewrite must match exactly where expected, otherwise
nothing is rewritten (and the build goes on without it, saying so).

Usage:
    lazy_inspect.py --yaml OUT      write the Nuitka --user-package-configuration-file
    lazy_inspect.py --check         run the rewritten inspect under this Python and check it
"""

from __future__ import annotations

import argparse
import dis
import importlib.util
import inspect
import json
import re
import sys
import types
from pathlib import Path

# module name -> (its top-level import line, the pattern of its uses, the lazy replacement)
_LAZY = {
    "ast": ("import ast\n", r"(?<![\w.])ast\.", '__import__("ast").'),
    "dis": ("import dis\n", r"(?<![\w.])dis\.", '__import__("dis").'),
    "tokenize": ("import tokenize\n", r"(?<![\w.])tokenize\.", '__import__("tokenize").'),
    "token": ("import token\n", r"(?<![\w.])token\.", '__import__("token").'),
    "linecache": ("import linecache\n", r"(?<![\w.])linecache\.", '__import__("linecache").'),
    "importlib": ("import importlib.machinery\n", r"(?<![\w.])importlib\.",
                  '__import__("importlib.machinery").'),
    # re (and its _sre compiler modules) is only used inside functions (getsource, formatannotation)
    "re": ("import re\n", r"(?<![\w.])re\.", '__import__("re").'),
}
_CLASS_FINDER = "class _ClassFinder(ast.NodeVisitor):"
_LAZY_VISITOR = '''
class _LazyNodeVisitor:
    """ast.NodeVisitor without importing ast until a visit happens (native start-up)."""

    def visit(self, node):
        return __import__("ast").NodeVisitor.visit(self, node)

    def generic_visit(self, node):
        return __import__("ast").NodeVisitor.generic_visit(self, node)

'''
_FLAGS = "dis.COMPILER_FLAG_NAMES.items()"


class NotApplicable(Exception):
    """This Python's inspect.py does not look as expected: leave it alone."""


def _once(source: str, old: str, new: str) -> str:
    if source.count(old) != 1:
        raise NotApplicable(f"expected exactly one {old.strip()!r} in inspect.py, found {source.count(old)}")
    return source.replace(old, new)


def plain_replacements(source: str) -> dict[str, str]:
    """The literal (old -> new) replacements, applied in order; checked against ``source``."""
    replacements = {
        _CLASS_FINDER: "class _ClassFinder(_LazyNodeVisitor):",
        _FLAGS: f"{dict(dis.COMPILER_FLAG_NAMES)!r}.items()",
    }
    first_import = _LAZY["ast"][0]
    replacements[first_import] = _LAZY_VISITOR
    for name, (line, _pattern, _new) in _LAZY.items():
        if name != "ast":
            replacements[line] = ""
    rewritten = source
    for old, new in replacements.items():
        rewritten = _once(rewritten, old, new)
    return replacements


def regex_replacements() -> dict[str, str]:
    """The regular-expression replacements (applied after the plain ones)."""
    return {pattern: new for _line, pattern, new in _LAZY.values()}


def rewrite(source: str) -> str:
    """Apply every replacement as Nuitka does (plain first, then regular expressions)."""
    for old, new in plain_replacements(source).items():
        source = source.replace(old, new)
    for pattern, new in regex_replacements().items():
        source = re.sub(pattern, new.replace("\\", "\\\\"), source)
    leftovers = [name for name, (line, _p, _n) in _LAZY.items() if line in source]
    if leftovers:
        raise NotApplicable(f"imports left in the rewritten inspect.py: {leftovers}")
    return source


def inspect_source() -> str:
    """The inspect.py of this Python."""
    path = inspect.__file__
    if not path:
        raise NotApplicable("inspect has no source file")
    return Path(path).read_text(encoding="utf-8")


def nuitka_config(source: str) -> str:
    """The Nuitka package configuration (YAML; JSON is valid YAML) with the replacements."""
    rewrite(source)  # raises NotApplicable unless every replacement applies
    config = [{
        "module-name": "inspect",
        "anti-bloat": [{
            "description": "lazy imports in inspect, which Nuitka imports at start-up (build/native)",
            "replacements_plain": plain_replacements(source),
            "replacements_re": regex_replacements(),
        }],
    }]
    return "# Generated by build/native/lazy_inspect.py: do not edit.\n" + json.dumps(config, indent=2) + "\n"


def check() -> list[str]:
    """Load the rewritten inspect as a fresh module and check what handlers or libraries may use."""
    problems: list[str] = []
    heavy = ("ast", "dis", "tokenize", "token", "linecache", "re")
    spec = importlib.util.spec_from_loader("inspect_lazy_check", loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    code = compile(rewrite(inspect_source()), "inspect_lazy_check.py", "exec")
    saved = {name: sys.modules.pop(name) for name in heavy if name in sys.modules}
    try:
        exec(code, module.__dict__)
        loaded = [name for name in heavy if name in sys.modules]
        if loaded:
            problems.append(f"importing the rewritten inspect still imports {loaded}")
        lazy: types.ModuleType = module

        def sample(a: int, b: str = "x", *args: int, c: float = 1.0, **kw: object) -> None:
            """Sample."""

        class Sample:
            def method(self) -> int:
                return 1

        expectations = [
            (str(lazy.signature(sample)), str(inspect.signature(sample))),
            (lazy.isfunction(sample), True),
            (lazy.getmodulename("x/y.py"), "y"),
            (lazy.CO_COROUTINE, inspect.CO_COROUTINE),
            (lazy.CO_GENERATOR, inspect.CO_GENERATOR),
            ([n for n, _ in lazy.getmembers(Sample) if not n.startswith("_")], ["method"]),
            ("def method" in lazy.getsource(Sample), True),  # _ClassFinder (ast) + getblock (tokenize)
            (lazy.getsourcelines(sample)[1] > 0, True),  # linecache
            (len(lazy.getclosurevars(sample).builtins) >= 0, True),  # dis
            (lazy.formatannotation(list[Sample]), inspect.formatannotation(list[Sample])),  # re
            (lazy.getsource(lambda: 1).strip().startswith("(lazy.getsource(lambda"), True),  # re
        ]
        for index, (got, want) in enumerate(expectations):
            if got != want:
                problems.append(f"check {index}: got {got!r}, expected {want!r}")
    finally:
        sys.modules.update(saved)
    return problems


def main(argv: list[str] | None = None) -> int:
    """Command line entry."""
    parser = argparse.ArgumentParser(description="Lazy imports for inspect in the native binary.")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--yaml", type=Path, help="write the Nuitka package configuration here")
    group.add_argument("--check", action="store_true", help="check the rewritten inspect under this Python")
    args = parser.parse_args(argv)
    try:
        if args.yaml:
            args.yaml.write_text(nuitka_config(inspect_source()))
            print(f"lazy_inspect: wrote {args.yaml}")
            return 0
        problems = check()
    except NotApplicable as error:
        print(f"lazy_inspect: not applicable to Python {sys.version.split()[0]}: {error}", file=sys.stderr)
        return 3
    for problem in problems:
        print(f"lazy_inspect: {problem}", file=sys.stderr)
    if not problems:
        print("lazy_inspect: OK: the rewritten inspect imports none of ast/dis/tokenize/token/linecache/re "
              "and behaves as the original")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
