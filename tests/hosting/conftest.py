"""The hosting tests import the app's package as ``explorer``, exactly as ``shiny run app/app.py`` does (it
puts ``app/`` on ``sys.path``)."""

from __future__ import annotations

import sys
from pathlib import Path

APP_DIR = Path(__file__).resolve().parents[2] / "app"
if str(APP_DIR) not in sys.path:
    sys.path.insert(0, str(APP_DIR))
