"""The app's tests import its package as ``explorer``, exactly as ``shiny run app/app.py`` does (it puts
``app/`` on ``sys.path``); browser tests share the ``shots`` fixture (screenshot folder)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

APP_DIR = Path(__file__).resolve().parents[2] / "app"
if str(APP_DIR) not in sys.path:
    sys.path.insert(0, str(APP_DIR))


@pytest.fixture(scope="module")
def shots(request, tmp_path_factory) -> Path:
    """Where a browser test module writes its screenshots (for looking at, never committed):
    ``LMM_SCREENSHOT_DIR``, else a temporary folder named after the module."""
    folder = os.environ.get("LMM_SCREENSHOT_DIR")
    module = request.module.__name__.rsplit(".", 1)[-1]
    path = Path(folder) if folder else tmp_path_factory.mktemp(f"{module}-screens")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def generous_fit_budget():
    """``LMM_FIT_BUDGET_SECONDS=300`` for a browser test module whose tests are about what a user sees, not
    about the fit budget (InstEval's fit takes ~3 s on a quiet machine but can pass the default 30 s when
    the shared machine runs several test suites). Named in the module's ``pytestmark`` (usefixtures), it is
    set before the module's app fixture starts the app, and restored after the module."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LMM_FIT_BUDGET_SECONDS", "300")
        yield
