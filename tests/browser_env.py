"""Shared set-up of the browser tests: where Chromium is, and the one rule for a machine without it.

Without Chromium or Playwright the browser tests skip with one loud line saying how to install them;
with ``IMRKB_REQUIRE_BROWSER=1`` (set by ``.ci/run``) they fail instead, so CI can never skip them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
INSTALL = "apt-get install -y chromium (Debian) and pip install playwright; no `playwright install` needed"
REQUIRED = os.environ.get("IMRKB_REQUIRE_BROWSER") == "1"


def require_browser() -> None:
    """Call at module level before importing Playwright: skip (or, when required, fail) without a browser."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:  # pragma: no cover - depends on the machine
        if REQUIRED:
            raise
        pytest.skip(f"BROWSER TESTS SKIPPED: playwright is not installed ({INSTALL})", allow_module_level=True)
    if not Path(CHROMIUM).is_file():
        if REQUIRED:
            pytest.fail(f"IMRKB_REQUIRE_BROWSER=1 but no Chromium at {CHROMIUM}: {INSTALL}", pytrace=False)
        pytest.skip(f"BROWSER TESTS SKIPPED: no Chromium at {CHROMIUM}; {INSTALL}", allow_module_level=True)
