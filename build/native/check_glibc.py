"""Check that every ELF file under some folders needs at most a given GLIBC version.

Usage: ``check_glibc.py --max 2.34 DIR [DIR ...]`` (``make check-glibc``: DIR is ``.aws-sam/build``)

ELF files are found by their magic bytes, not by name. For each one, the GNU version
needs (``.gnu.version_r``) are read in pure Python, and every ``GLIBC_x.y`` above the
maximum is reported with the symbols that need it (from ``.gnu.version`` + ``.dynsym``).

The layer layout (docs/native.md, "The layer"): a folder holding ``function.json`` (DIR itself or
a folder right under it) is a function artifact. It must hold no ELF (the bootstrap comes from the
layer, the folder with ``native-runtime.json``), and its ``layerBuild`` must be the build of the
layer next to it: a function packaged for another build of the layer is an offender too.

Exit codes: 0 all good, 1 at least one offender, 2 bad usage (missing folder, no ELF, an
ELF that cannot be read).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import struct
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ELF_MAGIC = b"\x7fELF"
SHT_DYNSYM = 11
SHT_GNU_VERNEED = 0x6FFFFFFE
SHT_GNU_VERSYM = 0x6FFFFFFF
_GLIBC_RE = re.compile(r"^GLIBC_(\d+)\.(\d+)(?:\.(\d+))?$")
# The manifests that package.py writes (the same names as there).
LAYER_MANIFEST = "native-runtime.json"
FUNCTION_MANIFEST = "function.json"


class ElfError(Exception):
    """An ELF file that cannot be parsed."""


@dataclass
class Need:
    """One required symbol version (e.g. GLIBC_2.35 from libm.so.6) and who needs it."""

    version: str
    library: str
    symbols: list[str] = field(default_factory=list)


@dataclass
class _Section:
    type: int
    offset: int
    size: int
    link: int
    info: int
    entsize: int


def parse_version(text: str) -> tuple[int, ...]:
    """``"2.34"`` or ``"GLIBC_2.34"`` -> ``(2, 34)``."""
    text = text.removeprefix("GLIBC_")
    try:
        return tuple(int(part) for part in text.split("."))
    except ValueError:
        raise ValueError(f"not a version number: {text!r}") from None


def is_elf(path: Path) -> bool:
    """True if the file starts with the ELF magic bytes."""
    try:
        with path.open("rb") as handle:
            return handle.read(4) == ELF_MAGIC
    except OSError:
        return False


def _cstr(data: bytes, offset: int) -> str:
    end = data.find(b"\0", offset)
    if end < 0:
        raise ElfError(f"unterminated string at offset {offset}")
    return data[offset:end].decode("utf-8", "replace")


def _sections(data: bytes) -> list[_Section]:
    if len(data) < 64 or data[:4] != ELF_MAGIC:
        raise ElfError("not an ELF file")
    elf_class, encoding = data[4], data[5]
    if elf_class not in (1, 2) or encoding not in (1, 2):
        raise ElfError(f"unknown ELF class/encoding {elf_class}/{encoding}")
    end = "<" if encoding == 1 else ">"
    if elf_class == 2:
        shoff, = struct.unpack_from(end + "Q", data, 0x28)
        shentsize, shnum = struct.unpack_from(end + "HH", data, 0x3A)
        fmt = end + "IIQQQQIIQQ"
    else:
        shoff, = struct.unpack_from(end + "I", data, 0x20)
        shentsize, shnum = struct.unpack_from(end + "HH", data, 0x2E)
        fmt = end + "IIIIIIIIII"
    if shoff == 0 or shnum == 0:
        raise ElfError("no section headers (cannot read symbol versions)")
    if shoff + shnum * shentsize > len(data):
        raise ElfError("section headers beyond the end of the file (truncated?)")
    sections = []
    for index in range(shnum):
        (_name, stype, _flags, _addr, offset, size, link, info, _align, entsize) = struct.unpack_from(
            fmt, data, shoff + index * shentsize
        )
        sections.append(_Section(stype, offset, size, link, info, entsize))
    return sections


def _section_bytes(data: bytes, section: _Section) -> bytes:
    if section.offset + section.size > len(data):
        raise ElfError("section beyond the end of the file (truncated?)")
    return data[section.offset : section.offset + section.size]


def version_needs(path: Path) -> list[Need]:
    """Every (version, library) this ELF file requires, with the symbols that require it."""
    data = path.read_bytes()
    sections = _sections(data)
    end = "<" if data[5] == 1 else ">"
    is64 = data[4] == 2
    needs_by_index: dict[int, Need] = {}
    for section in sections:
        if section.type != SHT_GNU_VERNEED:
            continue
        strtab = _section_bytes(data, sections[section.link])
        body = _section_bytes(data, section)
        offset = 0
        for _ in range(section.info):
            _ver, count, file_off, aux, next_off = struct.unpack_from(end + "HHIII", body, offset)
            library = _cstr(strtab, file_off)
            aux_offset = offset + aux
            for _ in range(count):
                _hash, _flags, other, name_off, aux_next = struct.unpack_from(end + "IHHII", body, aux_offset)
                needs_by_index[other] = Need(_cstr(strtab, name_off), library)
                if aux_next == 0:
                    break
                aux_offset += aux_next
            if next_off == 0:
                break
            offset += next_off
    if not needs_by_index:
        return []
    versym = next((s for s in sections if s.type == SHT_GNU_VERSYM), None)
    dynsym = next((s for s in sections if s.type == SHT_DYNSYM), None)
    if versym is not None and dynsym is not None:
        symstr = _section_bytes(data, sections[dynsym.link])
        symbols = _section_bytes(data, dynsym)
        versions = _section_bytes(data, versym)
        entsize = dynsym.entsize or (24 if is64 else 16)
        for index in range(min(len(versions) // 2, len(symbols) // entsize)):
            (value,) = struct.unpack_from(end + "H", versions, index * 2)
            need = needs_by_index.get(value & 0x7FFF)
            if need is None:
                continue
            (name_off,) = struct.unpack_from(end + "I", symbols, index * entsize)
            need.symbols.append(_cstr(symstr, name_off))
    return list(needs_by_index.values())


def offending(needs: list[Need], maximum: tuple[int, ...]) -> list[Need]:
    """The GLIBC needs above ``maximum`` (also any non-numbered GLIBC_* such as GLIBC_PRIVATE)."""
    result = []
    for need in needs:
        if not need.version.startswith("GLIBC_"):
            continue
        if not _GLIBC_RE.match(need.version) or parse_version(need.version) > maximum:
            result.append(need)
    return result


def elf_files(root: Path) -> Iterator[Path]:
    """Every regular (non-symlink) ELF file under ``root`` (or ``root`` itself), sorted."""
    if root.is_file():
        if is_elf(root):
            yield root
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath, name)
            if not path.is_symlink() and path.is_file() and is_elf(path):
                yield path


def _manifest(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        return {"error": str(error)}
    return data if isinstance(data, dict) else {"error": "not a JSON object"}


def check_layout(root: Path, out: list[str]) -> tuple[set[Path], int]:
    """The function artifacts under ``root`` and the layout offences (an ELF, another layer build)."""
    if not root.is_dir():
        return set(), 0
    candidates = [root, *sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink())]
    functions = {d for d in candidates if (d / FUNCTION_MANIFEST).is_file()}
    layers = {str(_manifest(d / LAYER_MANIFEST).get("build")): d for d in candidates
              if (d / LAYER_MANIFEST).is_file()}
    offences = 0
    for folder in sorted(functions):
        for path in elf_files(folder):
            offences += 1
            out.append(f"check-glibc: {path}: an ELF in a function artifact ({FUNCTION_MANIFEST}): "
                       "the native code belongs in the layer")
        wanted = _manifest(folder / FUNCTION_MANIFEST)
        if layers and str(wanted.get("layerBuild")) not in layers:
            offences += 1
            out.append(f"check-glibc: {folder}: packaged for layer build {wanted.get('layerBuild')}, but "
                       f"the layer here is build {', '.join(sorted(layers))}: rebuild (sam build)")
    return functions, offences


def check(roots: list[Path], maximum: tuple[int, ...], out: list[str]) -> int:
    """Check every ELF under ``roots``; append report lines to ``out``; return the exit code."""
    max_text = ".".join(str(part) for part in maximum)
    missing = [root for root in roots if not root.exists()]
    if missing:
        out.extend(f"check-glibc: ERROR: {root} does not exist (did the build run?)" for root in missing)
        return 2
    checked = 0
    highest: tuple[int, ...] = ()
    offenders = 0
    unreadable = 0
    functions_seen = 0
    for root in roots:
        functions, offences = check_layout(root, out)
        functions_seen += len(functions)
        offenders += offences
        for path in elf_files(root):
            if any(path.is_relative_to(folder) for folder in functions):
                continue  # reported by check_layout
            checked += 1
            try:
                needs = version_needs(path)
            except (ElfError, struct.error, IndexError) as error:
                out.append(f"check-glibc: ERROR: {path}: cannot read ELF: {error}")
                unreadable += 1
                continue
            for need in needs:
                if need.version.startswith("GLIBC_") and _GLIBC_RE.match(need.version):
                    highest = max(highest, parse_version(need.version))
            for need in offending(needs, maximum):
                offenders += 1
                shown = ", ".join(sorted(set(need.symbols))[:8]) or "(no symbol listed)"
                out.append(f"check-glibc: {path}: needs {need.version} from {need.library}: {shown}")
    where = " ".join(str(root) for root in roots)
    if checked == 0 and not offenders:
        out.append(f"check-glibc: ERROR: no ELF file under {where}: nothing was checked")
        return 2
    highest_text = "GLIBC_" + ".".join(str(part) for part in highest) if highest else "no GLIBC version"
    if unreadable:
        out.append(f"check-glibc: FAILED: {unreadable} ELF file(s) could not be read")
        return 2
    if offenders:
        out.append(
            f"check-glibc: FAILED: {offenders} offence(s) (needs above GLIBC_{max_text}, or a function "
            f"artifact that is not a manifest of this layer) in {checked} ELF files under {where} "
            f"(highest: {highest_text}); see docs/native.md"
        )
        return 1
    out.append(f"check-glibc: OK: {checked} ELF files under {where} need at most {highest_text} "
               f"(max allowed GLIBC_{max_text}); {functions_seen} function artifact(s) without ELF")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Command line entry."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--max", required=True, help="highest GLIBC version allowed, e.g. 2.34")
    parser.add_argument("dirs", nargs="+", type=Path, help="folders (or files) to check")
    args = parser.parse_args(argv)
    try:
        maximum = parse_version(args.max)
    except ValueError as error:
        print(f"check-glibc: ERROR: --max: {error}", file=sys.stderr)
        return 2
    lines: list[str] = []
    code = check(args.dirs, maximum, lines)
    stream = sys.stdout if code == 0 else sys.stderr
    for line in lines:
        print(line, file=stream)
    return code


if __name__ == "__main__":
    sys.exit(main())
