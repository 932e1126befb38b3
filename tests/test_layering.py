"""Layering: the core package ``readiness`` never imports Streamlit.

The core is shared by the CLI, the exporters and the dashboard; if it pulled Streamlit in, the CLI and
every batch job would pay for (and depend on) the web framework, and core code could start reading
page state. Only ``app.py``, ``screens/`` and ``ui/`` may import it.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import readiness

PACKAGE_DIR = Path(readiness.__file__).parent
# Alembic runs this module inside a migration context; imported on its own it raises by design. The
# static check below still reads it.
NOT_IMPORTABLE = {"readiness.migrations.env"}

# Runs in a fresh interpreter: this test process has imported Streamlit already (the page tests do).
IMPORT_EVERYTHING = """
import importlib, json, pkgutil, sys
import readiness

skip = set(json.loads(sys.argv[1]))

def fail(name):
    raise SystemExit(f"cannot import {name}")

names = [m.name for m in pkgutil.walk_packages(readiness.__path__, "readiness.", onerror=fail)]
for name in names:
    if name not in skip:
        importlib.import_module(name)
print(json.dumps({"modules": names, "streamlit": sorted(m for m in sys.modules if m.split(".")[0] == "streamlit")}))
"""


def test_importing_every_core_module_never_imports_streamlit() -> None:
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_EVERYTHING, json.dumps(sorted(NOT_IMPORTABLE))],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.splitlines()[-1])
    # The walk really covered the package (and the skip list names modules that exist).
    assert {"readiness.scoring", "readiness.store.repository", "readiness.cli.main"} <= set(report["modules"])
    assert set(report["modules"]) >= NOT_IMPORTABLE
    assert report["streamlit"] == []


def _imported_roots(path: Path) -> set[str]:
    """The top-level package of every import statement in the file, wherever it sits (even in a function)."""
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_no_core_source_file_mentions_a_streamlit_import() -> None:
    # Catches what the import test cannot: imports inside functions and modules it does not import.
    sources = sorted(PACKAGE_DIR.rglob("*.py"))
    assert len(sources) > 20
    offenders = [str(p.relative_to(PACKAGE_DIR)) for p in sources if "streamlit" in _imported_roots(p)]
    assert offenders == []
