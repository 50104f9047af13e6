"""First-run entry for /emails: runs app.py, the only router (see pages/__init__.py)."""

import runpy
from pathlib import Path

runpy.run_path(str(Path(__file__).resolve().parents[1] / "app.py"))
