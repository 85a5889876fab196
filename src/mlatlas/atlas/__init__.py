"""The atlas: the registry wiring every algorithm to data, a reference, metrics and figures."""

from .registry import Entry, entries, get, names, register
from .runner import FigureContext, RunResult, run_entry

__all__ = ["Entry", "entries", "get", "names", "register", "FigureContext", "RunResult", "run_entry"]
