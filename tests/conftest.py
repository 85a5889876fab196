import os

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture
def rng():
    """A local generator; tests never touch NumPy's global seed."""
    return np.random.default_rng(12345)


# Property-based tests (tests/fuzz, tests/core/test_persistence_fuzz.py): a bounded default
# profile for `make test`, and a long one for the benchmarks run (HYPOTHESIS_PROFILE=long).
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile("default", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("long", max_examples=2000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


# `make test` sets MLATLAS_STRICT_SKIPS=1: a skipped test then fails the run unless its
# reason is one of the expected ones below (each says why it may skip).  A skip that
# hides a missing dependency or a broken fixture cannot pass unnoticed.
EXPECTED_SKIPS = (
    # scikit-learn's array-API check skips itself unless SCIPY_ARRAY_API=1 is set before
    # scipy is imported; the array API is not a target of this project.
    "SCIPY_ARRAY_API",
)
# The web report's browser test (tests/report/test_browser.py) skips where no headless
# Chromium, chromedriver or Selenium can be had, with "no headless browser: missing ...".
# CI (.ci/run) sets MLATLAS_REQUIRE_BROWSER=1: there the test fails instead of skipping,
# and the reason is not an expected one either.
if os.environ.get("MLATLAS_REQUIRE_BROWSER") != "1":
    EXPECTED_SKIPS += ("no headless browser: missing",)
_unexpected_skips: list[str] = []


def pytest_runtest_logreport(report):
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else str(report.longrepr)
        if not any(expected in reason for expected in EXPECTED_SKIPS):
            _unexpected_skips.append(f"{report.nodeid}: {reason}")


# A whole module skipped at import (pytest.importorskip at the top) is a collection report.
pytest_collectreport = pytest_runtest_logreport


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("MLATLAS_STRICT_SKIPS") == "1" and _unexpected_skips and exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter):
    if os.environ.get("MLATLAS_STRICT_SKIPS") == "1" and _unexpected_skips:
        terminalreporter.section("unexpected skips (MLATLAS_STRICT_SKIPS=1)")
        for line in _unexpected_skips:
            terminalreporter.line(line)
