"""Maximum-likelihood estimation.

``mle``, ``mle_numeric`` and ``MLEResult`` are imported eagerly: the function ``mle``
shares its name with the submodule ``mle.py``, and a lazy export would let Python's
import system replace the function by the submodule on the package
(``from mlatlas.probability import mle`` would then give the module).
"""

from __future__ import annotations

from .mle import MLEResult, mle, mle_numeric

__all__ = ["MLEResult", "mle", "mle_numeric"]
