"""The headless browser for the report's end-to-end test, or a skip that names what is missing.

With ``MLATLAS_REQUIRE_BROWSER=1`` (set by ``.ci/run``) a missing browser fails the test
instead: CI must run it.
"""

import os

import pytest

from mlatlas.report.browser import BrowserMissing, find_browser

REQUIRE = os.environ.get("MLATLAS_REQUIRE_BROWSER") == "1"


def require_browser() -> None:
    """Skip (or fail, under MLATLAS_REQUIRE_BROWSER=1) when no headless Chromium can be had."""
    try:
        find_browser()
    except BrowserMissing as exc:
        if REQUIRE:
            pytest.fail(f"{exc}; MLATLAS_REQUIRE_BROWSER=1 asks for the browser test to run")
        pytest.skip(str(exc))
