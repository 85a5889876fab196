"""The report's prose: what each algorithm does, when to use it, its strengths, weaknesses
and key equations, in English and Chinese.

One module per group of the index (:data:`GROUPS`), each holding ``CONTENT``: a dict
keyed by registry entry name.  An entry's content has

``what``, ``when`` : (English, Chinese)
    What it does; when to reach for it.
``strengths``, ``weaknesses`` : list of (English, Chinese)
``equations`` : list of str
    LaTeX, converted to MathML when the report is built (1 to 4 of them).
``source`` : str
    The algorithm's file, relative to ``src/`` (``mlatlas/supervised/boosting.py``).
``thumbnail`` : str, optional
    The stem of the figure the index card shows (default: the entry's first figure).
``title_zh`` : str
    The entry's title in Chinese (each module's ``TITLES_ZH``; the registry's is English).
``traces``, ``frames`` : list of dict, optional
    Which record arrays are per-iteration curves and slider frames (see
    :mod:`mlatlas.report.traces`); without them the report looks for them by name.

The metrics' and data sets' bilingual names are in :mod:`mlatlas.report.content.labels`,
the figures' captions in :mod:`mlatlas.report.content.captions`.

The text is the project's own, written for this report.
"""

from __future__ import annotations

from . import generative, nn, supervised, timeseries, unsupervised
from .captions import CAPTIONS, caption_of
from .labels import DATASETS, METRICS, dataset_label, metric_label

__all__ = ["CONTENT", "GROUPS", "FAMILY_GROUPS", "group_of", "FIELDS", "METRICS", "DATASETS", "metric_label",
           "dataset_label", "CAPTIONS", "caption_of"]

#: The index's groups, in order: key, (English, Chinese) heading.
GROUPS = (
    ("supervised", ("Supervised learning", "监督学习")),
    ("unsupervised", ("Unsupervised learning and density estimation", "无监督学习与密度估计")),
    ("timeseries", ("Time series", "时间序列")),
    ("nn", ("Neural-net core", "神经网络核心")),
    ("generative", ("Generative models", "生成模型")),
    ("other", ("Other", "其他")),
)

#: Registry families -> index group, for entries that have no content yet.
FAMILY_GROUPS = {
    "linear": "supervised", "neighbors": "supervised", "trees": "supervised", "ensembles": "supervised",
    "svm": "supervised", "clustering": "unsupervised", "unsupervised": "unsupervised",
    "probability": "unsupervised", "timeseries": "timeseries", "nn": "nn", "generative": "generative",
    "diffusion": "generative", "boltzmann": "generative",
}

#: The prose fields every entry's content has.
FIELDS = ("what", "when", "strengths", "weaknesses", "equations", "source")

CONTENT: dict[str, dict] = {}
for _module in (supervised, unsupervised, timeseries, nn, generative):
    for _name, _content in _module.CONTENT.items():
        if _name in CONTENT:
            raise ValueError(f"report content for {_name!r} is defined twice.")
        CONTENT[_name] = {**_content, "group": _module.GROUP, "title_zh": _module.TITLES_ZH.get(_name)}


def group_of(name: str, family: str) -> str:
    """The index group of an entry: its content's, else its family's, else ``"other"``."""
    if name in CONTENT:
        return CONTENT[name]["group"]
    return FAMILY_GROUPS.get(family, "other")
