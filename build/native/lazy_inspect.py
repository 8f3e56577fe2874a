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
    lazy_inspect.py --yaml OUT      write the Nuitka --user-package-configuration-file, and next to
                                    it _inspect_full.py (compile it in: --include-module=_inspect_full)
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
from collections.abc import Iterator
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

# The binary's ``inspect`` is this stub; the (lazily rewritten) real module is compiled in as
# ``_inspect_full`` and imported on the first attribute access. Even with the lazy imports above,
# the real module costs ~4 ms at start (enum for _ParameterKind, collections for its namedtuples,
# its own classes). Nuitka's start-up replaces three functions of inspect (getgeneratorstate,
# getcoroutinestate and, on 3.11, _get_code_position): the stub defines them (delegating to the
# originals), and on loading, the real module gets the stub's (that is, Nuitka's) versions, as
# if Nuitka had patched it.
FULL_MODULE = "_inspect_full"
_PATCHED_BY_NUITKA = ("getgeneratorstate", "getcoroutinestate", "_get_code_position")
STUB = f'''"""inspect, loaded on first use (build/native/lazy_inspect.py): Nuitka imports it at start."""

import sys

_PATCHED = {_PATCHED_BY_NUITKA!r}
_originals = {{}}


def _full():
    if _originals:
        return sys.modules["{FULL_MODULE}"]
    module = __import__("{FULL_MODULE}")
    names = globals()
    for name, value in list(vars(module).items()):
        if name in _PATCHED:
            _originals[name] = value
            setattr(module, name, names[name])
        elif not (name.startswith("__") and name.endswith("__")):
            names[name] = value
    names["__all__"] = module.__all__
    return module


def __getattr__(name):
    try:
        return getattr(_full(), name)
    except AttributeError:
        raise AttributeError(f"module 'inspect' has no attribute {{name!r}}") from None


def getgeneratorstate(generator):
    _full()
    return _originals["getgeneratorstate"](generator)


def getcoroutinestate(coroutine):
    _full()
    return _originals["getcoroutinestate"](coroutine)


def _get_code_position(code, instruction_index):
    _full()
    return _originals["_get_code_position"](code, instruction_index)
'''


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
            "description": "inspect (imported at start-up) as a stub over _inspect_full (build/native)",
            "replacements_re": {r"(?s)\A.*\Z": STUB.replace("\\", "\\\\")},
        }],
    }]
    return "# Generated by build/native/lazy_inspect.py: do not edit.\n" + json.dumps(config, indent=2) + "\n"


def _fresh_module(name: str, source: str) -> types.ModuleType:
    spec = importlib.util.spec_from_loader(name, loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    exec(compile(source, f"{name}.py", "exec"), module.__dict__)
    return module


def check() -> list[str]:
    """Load the stub and the rewritten inspect as fresh modules; check what handlers or libraries may use."""
    problems: list[str] = []
    heavy = ("ast", "dis", "tokenize", "token", "linecache", "re")
    saved = {name: sys.modules.pop(name) for name in (*heavy, FULL_MODULE) if name in sys.modules}
    try:
        lazy = _fresh_module("inspect_stub_check", STUB)
        if FULL_MODULE in sys.modules or "signature" in vars(lazy):
            problems.append(f"importing the stub loads {FULL_MODULE} already")
        full = _fresh_module(FULL_MODULE, rewrite(inspect_source()))
        loaded = [name for name in heavy if name in sys.modules]
        if loaded:
            problems.append(f"importing the rewritten inspect still imports {loaded}")
        sys.modules[FULL_MODULE] = full  # where the stub's first attribute access finds it

        def sample(a: int, b: str = "x", *args: int, c: float = 1.0, **kw: object) -> None:
            """Sample."""

        class Sample:
            def method(self) -> int:
                return 1

        def generator() -> Iterator[int]:
            yield 1

        stub_state = lazy.getgeneratorstate
        code = sample.__code__
        expectations = [
            (lazy.getgeneratorstate(generator()), "GEN_CREATED"),  # before anything else: loads the module
            (lazy.getgeneratorstate is stub_state, True),  # Nuitka's replacement is never overwritten
            (full.getgeneratorstate is stub_state, True),  # ... and the real module uses it too
            (lazy._get_code_position(code, 0), vars(inspect)["_get_code_position"](code, 0)),
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
            (lazy.__all__ == inspect.__all__, True),
            (lazy.Parameter.POSITIONAL_ONLY.name, "POSITIONAL_ONLY"),
            (hasattr(lazy, "no_such_attribute"), False),
        ]
        for index, (got, want) in enumerate(expectations):
            if got != want:
                problems.append(f"check {index}: got {got!r}, expected {want!r}")
    finally:
        sys.modules.pop(FULL_MODULE, None)
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
            source = inspect_source()
            args.yaml.write_text(nuitka_config(source))
            full = args.yaml.parent / f"{FULL_MODULE}.py"
            full.write_text("# Generated by build/native/lazy_inspect.py from inspect.py: do not edit.\n"
                            + rewrite(source))
            print(f"lazy_inspect: wrote {args.yaml} and {full}")
            return 0
        problems = check()
    except NotApplicable as error:
        print(f"lazy_inspect: not applicable to Python {sys.version.split()[0]}: {error}", file=sys.stderr)
        return 3
    for problem in problems:
        print(f"lazy_inspect: {problem}", file=sys.stderr)
    if not problems:
        print("lazy_inspect: OK: the stub loads inspect on first use; the rewritten inspect imports none of "
              "ast/dis/tokenize/token/linecache/re "
              "and behaves as the original")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
