"""The atlas: registry entries (metadata), runs that end as records, figures drawn from records.

Importing this package loads no algorithm, matplotlib or scikit-learn: the registry
reads metadata only; a run imports what it fits.
"""

from .record import ModelRow, RunRecord
from .registry import Entry, entries, get, names, register
from .runner import RunContext, compare_on_split, draw_record, run_entry

__all__ = ["Entry", "entries", "get", "names", "register", "ModelRow", "RunRecord", "RunContext",
           "compare_on_split", "draw_record", "run_entry"]
