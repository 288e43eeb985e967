"""The verifier an inspector takes away: one zipapp file that runs with Python >= 3.11 and
`cryptography` alone (`dledger cert verifier --out dledger-verify.pyz`).

It holds exactly the ledger modules the verifier's command imports, found by reading their
import statements (every one, including those inside functions, so a lazy import is not
missed), plus the packages' `__init__` files and a `__main__` that runs
`ledger.certificates.verify_command.main`. A module the verifier should not need (the log,
the database, the web) shows up in `modules()` the day someone imports it, and the zipapp
then fails in an environment without that module's dependencies, which the tests run it in.
The bytes are deterministic: sorted names, fixed timestamps and permissions.
"""

from __future__ import annotations

import ast
import io
import zipfile
from pathlib import Path

ROOT_PACKAGE = "ledger"
ENTRY = "ledger.certificates.verify_command"
# ledger.certificates.verify_pdf imports it only when pypdf is missing: named here as well as
# found by the walk.
EXTRA = ("ledger.certificates.pdf_attachment",)
SOURCE_ROOT = Path(__file__).resolve().parents[2]
SHEBANG = b"#!/usr/bin/env python3\n"
TIMESTAMP = (1980, 1, 1, 0, 0, 0)

MAIN = '''"""dledger-verify: check a Dismantle Ledger certificate (PDF or JSON) offline.

    python3 dledger-verify.pyz CERT.pdf --vkey KEY [--trusted-checkpoint FILE]
    python3 dledger-verify.pyz CERT.json --policy FILE

Needs Python 3.11 or later and the `cryptography` package, nothing else.
Exit codes: 0 verified, 1 not verified, 2 refused input.
"""
import sys

if sys.version_info < (3, 11):
    print("error: this verifier needs Python 3.11 or later; this is " + sys.version.split()[0],
          file=sys.stderr)
    sys.exit(2)
try:
    import cryptography  # noqa: F401
except ImportError:
    print("error: this verifier needs the cryptography package: "
          "python3 -m pip install cryptography", file=sys.stderr)
    sys.exit(2)

from ledger.certificates.verify_command import main

sys.exit(main())
'''


def _path(module: str) -> Path | None:
    """The source file of a module of the ledger package, or None when there is none."""
    base = SOURCE_ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imports(module: str, source: Path) -> set[str]:
    """Every ledger module `module` imports, anywhere in its text."""
    package = module if source.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"), str(source))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)  # submodules
    return {name for name in found
            if name.split(".")[0] == ROOT_PACKAGE and _path(name) is not None}


def modules() -> list[str]:
    """The ledger modules the verifier's command needs, with their packages, sorted."""
    needed: set[str] = set()
    todo = [ENTRY, *EXTRA]
    while todo:
        module = todo.pop()
        if module in needed:
            continue
        source = _path(module)
        if source is None:
            raise LookupError(f"the verifier needs {module}, which has no source file")
        needed.add(module)
        parts = module.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]  # the packages
        todo += sorted(_imports(module, source) - needed)
    return sorted(needed)


def build() -> bytes:
    """The zipapp's bytes (the same bytes for the same sources)."""
    files = {"__main__.py": MAIN.encode()}
    for module in modules():
        source = _path(module)
        assert source is not None
        files[source.relative_to(SOURCE_ROOT).as_posix()] = source.read_bytes()
    out = io.BytesIO()
    out.write(SHEBANG)
    with zipfile.ZipFile(out, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o100644 << 16
            archive.writestr(info, files[name], compresslevel=9)
    return out.getvalue()
