"""Reports built from registry runs: the demo summary and the static web report.

:func:`build_report` turns a folder of run records (``mlatlas demo --out DIR``) into a
bilingual static site (``mlatlas report --from DIR``); :mod:`.summary` runs the demo.
"""

from .build import build_report

__all__ = ["build_report"]
