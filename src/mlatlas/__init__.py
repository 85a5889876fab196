"""mlatlas: an atlas of machine-learning algorithms, each written from first principles,
readable next to its maths and checked against its reference library."""

from .persistence import load_model, save_model

__version__ = "0.1.0"
__all__ = ["load_model", "save_model", "__version__"]
