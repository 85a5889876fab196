"""mlatlas: an atlas of machine-learning algorithms, each written from first principles,
readable next to its maths and checked against its reference library."""

from ._lazy import lazy_exports

__version__ = "0.1.0"
# save_model and load_model are imported on first use, so `mlatlas list` stays cheap
__all__, __getattr__, __dir__ = lazy_exports(__name__, {"load_model": "persistence", "save_model": "persistence"})
__all__ = [*__all__, "__version__"]
