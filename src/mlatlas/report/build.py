"""Build the atlas's web report: a static, bilingual site made from run records only.

:func:`build_report` reads every run folder under ``FROM`` (``FROM/NAME/record.json`` as
``mlatlas demo`` or ``mlatlas run NAME --out FROM/NAME`` writes them) and writes::

    OUT/index.html              every registry entry, grouped, a card each
    OUT/algorithms/NAME.html    one page per entry
    OUT/algorithms/NAME/*.png   its figures (copied) and its card's thumbnail
    OUT/source/MODULE.html      the algorithm's source file, to read offline
    OUT/assets/report.{css,js}  the style sheet and the language switch and sliders

The pages are rendered by Jinja2 templates with autoescaping (every value from a record
is text, never markup), the equations are converted from LaTeX to MathML here, and the
traces and slider frames are drawn as SVG and PNG here (:mod:`mlatlas.report.traces`),
so the site needs no network and no server.  The build is deterministic: entries,
folders, figures and arrays are taken in sorted order, nothing records the time, and
the same records always give the same bytes.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import sys
import warnings
from importlib import resources
from pathlib import Path
from typing import Any

from markupsafe import Markup

from ..atlas.record import RECORD_FILE, RunRecord, _fmt
from . import content as content_module
from .traces import build_frames, build_traces, guess_frames, guess_traces
from .ui import UI

__all__ = ["build_report", "collect_records", "LANGUAGES"]

LANGUAGES = ("en", "zh")
_THUMBNAIL = (360, 240)
_SRC_ROOT = Path(__file__).resolve().parents[2]  # the folder holding the mlatlas package


# ---------------------------------------------------------------------------- reading runs


def collect_records(from_dir: str) -> dict[str, dict]:
    """The runs under ``from_dir``: entry name -> ``{"record", "folder", "error"}``.

    Every folder directly under ``from_dir`` (and ``from_dir`` itself) holding a
    ``record.json`` is read; a record that cannot be read keeps its message in
    ``"error"``.  A demo's ``NAME.error.txt`` (a failed run) is kept as ``"failed"``.
    When two folders hold a run of the same entry, the first in sorted order is used.
    """
    runs: dict[str, dict] = {}
    folders = [from_dir] + [os.path.join(from_dir, name) for name in sorted(os.listdir(from_dir))]
    for folder in folders:
        if not os.path.isfile(os.path.join(folder, RECORD_FILE)):
            continue
        try:
            record = RunRecord.load(folder)
        except ValueError as exc:
            name = os.path.basename(os.path.normpath(folder))
            runs.setdefault(name, {"record": None, "folder": folder, "error": str(exc)})
            continue
        runs.setdefault(record.entry, {"record": record, "folder": folder, "error": None})
    for name in sorted(os.listdir(from_dir)):
        if name.endswith(".error.txt") and os.path.isfile(os.path.join(from_dir, name)):
            entry = name[: -len(".error.txt")]
            with open(os.path.join(from_dir, name), encoding="utf-8", errors="replace") as handle:
                lines = [line.strip() for line in handle if line.strip()]
            if entry not in runs:
                runs[entry] = {"record": None, "folder": None, "error": None}
            runs[entry]["failed"] = lines[-1] if lines else "the run failed"
    return runs


# ---------------------------------------------------------------------------- page data


def _pair(value: Any) -> tuple[str, str]:
    if isinstance(value, str):
        return (value, value)
    return (str(value[0]), str(value[1]))


def _number(value: Any) -> str:
    return _fmt(value)


def _precise(value: Any) -> str:
    """Up to 8 significant digits (the worked example's values)."""
    if value is None:
        return "-"
    return f"{float(value) + 0.0:.8g}"


def _ratio(ours: float | None, reference: float | None) -> str | None:
    if ours is None or reference is None or not reference > 0 or not math.isfinite(ours):
        return None
    return f"{ours / reference:.2f}"


def _reference_row(record: RunRecord, references: tuple | list = ()) -> int | None:
    """The index of the row holding the entry's reference: the first row (after ours) whose
    model names one of the registry entry's references, in their order; else the second row."""
    if len(record.rows) < 2:
        return None
    for reference in references:
        short = str(reference).rpartition(".")[2].split(" ")[0].lower()
        for i, row in enumerate(record.rows[1:], start=1):
            model = row.model.lower()
            if str(reference).lower() in model or (short and short in model):
                return i
    return 1


#: More metrics than this and the run table is turned: one row per metric, one column per model.
_WIDE = 6


def _run_table(record: RunRecord, references: tuple | list = ()) -> dict:
    """The side-by-side table: one row per model, one column per metric, times and their ratio.

    With more than :data:`_WIDE` metrics the table is also given ``"by_metric"`` (one row per
    metric), which the page shows instead so that it fits a laptop screen.
    """
    metrics: list[str] = []
    for row in record.rows:
        metrics += [k for k in row.metrics if k not in metrics]
    rows = [{"model": row.model, "values": [_number(row.metrics.get(k)) for k in metrics],
             "fit": _number(row.fit_time), "predict": _number(row.predict_time),
             "primary": _number(row.metrics.get(record.primary_metric)) if record.primary_metric else "-"}
            for row in record.rows]
    labels = [content_module.metric_label(k) for k in metrics]
    by_metric = None
    if len(metrics) > _WIDE:
        by_metric = [{"metric": k, "label": label, "values": [r["values"][i] for r in rows]}
                     for i, (k, label) in enumerate(zip(metrics, labels))]
    ratio = None
    at = _reference_row(record, references)
    if at is not None:
        ours, ref = record.rows[0], record.rows[at]
        ratio = {"fit": _ratio(ours.fit_time, ref.fit_time), "predict": _ratio(ours.predict_time, ref.predict_time)}
        if ratio["fit"] is None and ratio["predict"] is None:
            ratio = None
    return {"metrics": metrics, "labels": labels, "rows": rows, "ratio": ratio, "primary": record.primary_metric,
            "by_metric": by_metric, "reference": record.rows[at].model if at is not None else None}


def _headline(record: RunRecord | None, references: tuple | list = ()) -> dict | None:
    """The card's line: the primary metric of ours and of the entry's reference, and the fit-time ratio."""
    if record is None or not record.rows:
        return None
    at = _reference_row(record, references)
    ours = record.primary(0)
    reference = record.primary(at) if at is not None else None
    fit_ratio = _ratio(record.rows[0].fit_time, record.rows[at].fit_time) if at is not None else None
    return {"metric": record.primary_metric or "-", "ours": _number(ours), "reference": _number(reference),
            "metric_label": content_module.metric_label(record.primary_metric) if record.primary_metric else None,
            "reference_name": record.rows[at].model if at is not None else None, "fit_ratio": fit_ratio}


def _worked_table(record: RunRecord) -> list[dict] | None:
    """Every quantity of the worked example: ours, torch, the notes as printed, corrected by hand."""
    from .content.nn import NOTES_PRINTED

    by_model = {row.model: row.metrics for row in record.rows}
    ours = record.rows[0].metrics if record.rows else {}
    torch = next((m for name, m in by_model.items() if "torch" in name.lower()), {})
    hand = next((m for name, m in by_model.items() if "hand" in name.lower()), {})
    if not ours:
        return None
    table = []
    for key, value in ours.items():
        printed = NOTES_PRINTED.get(key)
        corrected = hand.get(key)
        # the notes print three decimals: a difference beyond their rounding is an erratum
        erratum = printed is not None and corrected is not None and abs(printed - corrected) > 1e-3
        table.append({"quantity": key, "ours": _precise(value), "torch": _precise(torch.get(key)),
                      "notes": _precise(printed), "corrected": _precise(corrected), "erratum": erratum})
    return table


def _figures(record: RunRecord, folder: str, target: str, name: str) -> list[dict]:
    """Copy the record's figures into ``target``; pair each English figure with its Chinese one."""
    os.makedirs(target, exist_ok=True)
    present = [f for f in record.figures if os.path.isfile(os.path.join(folder, f))]
    for figure in present:
        shutil.copyfile(os.path.join(folder, figure), os.path.join(target, figure))
    english = [f for f in present if not f.endswith(".zh.png")]
    chinese = {f[: -len(".zh.png")]: f for f in present if f.endswith(".zh.png")}
    pairs = []
    for figure in english:
        stem = figure[: -len(".png")]
        pairs.append({"en": f"{name}/{figure}", "zh": f"{name}/{chinese.pop(stem, figure)}", "stem": stem,
                      "caption": content_module.caption_of(stem)})
    for stem, figure in sorted(chinese.items()):  # Chinese figures without an English twin
        pairs.append({"en": f"{name}/{figure}", "zh": f"{name}/{figure}", "stem": stem,
                      "caption": content_module.caption_of(stem)})
    return pairs


#: A figure wider than this (width / height) is a row of panels: its card shows the first.
_WIDE_FIGURE = 2.0
#: Width / height of one panel of the atlas's figures (a row of n panels is n times as wide).
_PANEL_ASPECT = 1.18


def _thumbnail(source: str, target: str) -> bool:
    """Write a small copy of the figure ``source``; False when it is not a readable image.

    A wide figure (a row of n panels, n = round(aspect / :data:`_PANEL_ASPECT`)) is
    cropped to its first panel instead of being shrunk until nothing reads; every
    thumbnail is then letterboxed on white to the card's size.
    """
    from PIL import Image

    try:
        with Image.open(source) as image:
            image = image.convert("RGB")
    except (OSError, ValueError) as exc:  # a damaged figure: the card goes without a thumbnail
        warnings.warn(f"{source}: no thumbnail ({exc}).", stacklevel=2)
        return False
    width, height = image.size
    if width > _WIDE_FIGURE * height:
        panels = max(1, round(width / height / _PANEL_ASPECT))
        image = image.crop((0, 0, width // panels, height))
    image.thumbnail(_THUMBNAIL)
    card = Image.new("RGB", _THUMBNAIL, (255, 255, 255))
    card.paste(image, ((_THUMBNAIL[0] - image.width) // 2, (_THUMBNAIL[1] - image.height) // 2))
    card.save(target, format="PNG", compress_level=9)
    return True


def _source_page(path: str | None) -> dict | None:
    """The algorithm's source file (relative to ``src/``), if this install has it."""
    if not path:
        return None
    full = _SRC_ROOT / path
    page = path.replace("/", ".").removesuffix(".py") + ".html"
    return {"path": f"src/{path}", "file": str(full), "page": page, "exists": full.is_file()}


def _module_source(module: str) -> str | None:
    loaded = sys.modules.get(module)
    file = getattr(loaded, "__file__", None)
    if not file:
        return None
    try:
        return Path(file).resolve().relative_to(_SRC_ROOT).as_posix()
    except ValueError:
        return None


def _title(entry: Any, text: dict | None) -> tuple[str, str] | None:
    """The entry's one-line title: the registry's (English) and the content's Chinese one."""
    if entry is None or not entry.title:
        return None
    return (entry.title, (text or {}).get("title_zh") or entry.title)


def _mathml(latex: str) -> Markup:
    from latex2mathml.converter import convert

    # our own LaTeX, converted to MathML at build time (browsers render MathML natively)
    return Markup(convert(latex, display="block"))


def _page(name: str, entry: Any, run: dict | None, from_dir: str, out_dir: str) -> dict:
    """Everything the entry's page and its card show."""
    text = content_module.CONTENT.get(name)
    family = entry.family if entry is not None else "other"
    record = run.get("record") if run else None
    references = tuple(entry.references) if entry is not None else ()  # the run table and the headline compare with these
    page = {
        "name": name, "family": family, "group": content_module.group_of(name, family),
        "title": _title(entry, text), "references": list(references),
        "dataset": content_module.dataset_label(
            record.dataset if record is not None else (entry.dataset if entry is not None else "")),
        "content": None, "equations": [], "record": None, "figures": [], "traces": [], "frames": [],
        "worked": None, "thumbnail": None, "headline": _headline(record, references),
        "error": run.get("error") if run else None, "failed": run.get("failed") if run else None,
        "run_command": f"mlatlas run {name} --out {os.path.join(from_dir, name)}",
        "report_command": f"mlatlas report --from {from_dir}",
    }
    if text is not None:
        page["content"] = {"what": _pair(text["what"]), "when": _pair(text["when"]),
                           "strengths": [_pair(s) for s in text["strengths"]],
                           "weaknesses": [_pair(w) for w in text["weaknesses"]]}
        page["equations"] = [_mathml(e) for e in text["equations"]]
    source = text.get("source") if text else None
    page["source"] = _source_page(source)
    page["entry_source"] = _source_page(_module_source(entry.run.__module__)) if entry is not None else None
    if record is None:
        return page
    arrays = record.arrays
    trace_specs = text["traces"] if text and "traces" in text else guess_traces(arrays)
    frame_specs = text["frames"] if text and "frames" in text else guess_frames(arrays)
    page["traces"] = build_traces(trace_specs, arrays)
    page["frames"] = build_frames(frame_specs, arrays)
    page["figures"] = _figures(record, run["folder"], os.path.join(out_dir, "algorithms", name), name)
    if page["figures"]:
        # the content's choice of figure for the card, else the first
        chosen = next((f for f in page["figures"] if text and f["stem"] == text.get("thumbnail")), page["figures"][0])
        first = os.path.join(run["folder"], chosen["en"].split("/", 1)[1])
        if _thumbnail(first, os.path.join(out_dir, "algorithms", name, "thumbnail.png")):
            page["thumbnail"] = f"{name}/thumbnail.png"
    if text and text.get("worked_example"):
        page["worked"] = _worked_table(record)
    page["record"] = {
        "table": _run_table(record, references), "seed": record.seed, "timing_note": record.timing_note,
        "comparison": [(k, _number(v)) for k, v in record.comparison.items()],
        "params": [(str(k), json.dumps(v, ensure_ascii=False, sort_keys=True, default=str))
                   for k, v in sorted(record.params.items())],
        "versions": sorted(record.versions.items()),
    }
    return page


# ---------------------------------------------------------------------------- writing


def _environment():
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("mlatlas.report", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["tojson_compact"] = lambda value: json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return env


def _write(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def build_report(from_dir: str | os.PathLike, out_dir: str | os.PathLike, lang: str | None = None) -> str:
    """Build the web report of the runs under ``from_dir`` into ``out_dir``; return the index's path.

    Parameters
    ----------
    from_dir : path
        A folder of run folders (``mlatlas demo --out FROM`` writes one).  Every registry
        entry gets a page; entries with no run there show "not run yet" and the command
        that runs them.
    out_dir : path
        Where the site goes (created if needed).
    lang : {"en", "zh"}, optional
        The language pages open in until the reader switches (default English); the
        reader's choice is remembered by the browser.

    Returns
    -------
    str
        The path of ``index.html``.

    Raises
    ------
    ValueError
        ``from_dir`` is not a folder, or ``lang`` is not "en" or "zh".
    """
    from ..atlas import entries

    lang = lang or "en"
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be 'en' or 'zh'; got {lang!r}.")
    from_dir, out_dir = os.fspath(from_dir), os.fspath(out_dir)
    if not os.path.isdir(from_dir):
        raise ValueError(f"{from_dir!r}: no such folder (give the folder of a demo: mlatlas demo --out DIR).")
    runs = collect_records(from_dir)
    registered = {e.name: e for e in entries()}
    names = sorted(set(registered) | {n for n, r in runs.items() if r.get("record") is not None})
    pages = [_page(name, registered.get(name), runs.get(name), from_dir, out_dir) for name in names]

    env = _environment()
    common = {"ui": UI, "default_lang": lang, "groups": content_module.GROUPS}
    os.makedirs(os.path.join(out_dir, "assets"), exist_ok=True)
    for asset in ("report.css", "report.js"):
        data = resources.files("mlatlas.report").joinpath("static", asset).read_bytes()
        with open(os.path.join(out_dir, "assets", asset), "wb") as handle:
            handle.write(data)
    entry_template = env.get_template("entry.html")
    for page in pages:
        _write(os.path.join(out_dir, "algorithms", f"{page['name']}.html"),
               entry_template.render(page=page, root="../", **common))
    sources: dict[str, dict] = {}
    for page in pages:
        for source in (page["source"], page["entry_source"]):
            if source and source["exists"]:
                sources.setdefault(source["page"], {**source, "used_by": []})["used_by"].append(page["name"])
    source_template = env.get_template("source.html")
    for key in sorted(sources):
        source = sources[key]
        with open(source["file"], encoding="utf-8") as handle:
            code = handle.read()
        _write(os.path.join(out_dir, "source", key),
               source_template.render(source=source, code=code, root="../", **common))
    grouped = [(key, label, [p for p in pages if p["group"] == key]) for key, label in content_module.GROUPS]
    index = os.path.join(out_dir, "index.html")
    _write(index, env.get_template("index.html").render(
        grouped=[g for g in grouped if g[2]], root="", from_dir=from_dir,
        n_run=sum(p["record"] is not None for p in pages), n_pages=len(pages), **common))
    return index
