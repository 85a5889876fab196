"""The web report's builder: deterministic bytes, escaped record text, "not run yet" pages,
the worked example's table, content for every entry, the traces and frames, the CLI."""

import os
import re
from pathlib import Path

import numpy as np
import pytest

from mlatlas.atlas import ModelRow, RunRecord, entries
from mlatlas.cli import main
from mlatlas.report import build_report
from mlatlas.report.content import CONTENT, FIELDS, GROUPS
from mlatlas.report.svg import image_grid, nice_ticks, png_bytes
from mlatlas.report.traces import build_frames, build_traces, guess_frames, guess_traces

EVIL = "<script>alert('x')</script>"
#: Entries other parts of the atlas add; their pages need prose before their runs land.
COMING = ("rbm", "dbn", "dbn-classifier", "bm", "ddpm", "ae", "sparse-ae", "denoising-ae", "vae", "gan")


def _figure(path: Path, shade: int) -> None:
    pixels = np.full((30, 45, 3), shade, dtype=np.uint8)
    pixels[5:25, 10:30] = (200, 30, 30)
    path.write_bytes(png_bytes(pixels))


def _kmeans_record(folder: Path, dataset: str = "blobs", param: str = "k-means++") -> RunRecord:
    """A small k-means record with the arrays the report draws, two figures, and given text."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 2))
    record = RunRecord(entry="kmeans", dataset=dataset, seed=3, params={"init": param, "n_clusters": 3},
                       rows=[ModelRow("mlatlas", {"inertia": 12.5, "adjusted_rand": 0.9}, 0.002, 0.001),
                             ModelRow("sklearn.cluster.KMeans", {"inertia": 12.5, "adjusted_rand": 0.9}, 0.004,
                                      0.001)],
                       comparison={"adjusted_rand_ours_vs_reference": 1.0}, primary_metric="adjusted_rand",
                       timing_note="times: a note")
    record.add("lloyd", X=X, steps=np.array([0, 1, 4]), labels=rng.integers(0, 3, size=(3, 30)),
               inertia=np.array([30.0, 20.0, 12.5]), trail=rng.normal(size=(5, 3, 2)))
    record.save(folder)
    for name, shade in (("kmeans-iterations.png", 250), ("kmeans-iterations.zh.png", 240)):
        _figure(folder / name, shade)
        record.figures.append(name)
    record.save_json()
    return record


def _tree(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_records_give_the_same_bytes(tmp_path):
    runs = tmp_path / "runs"
    _kmeans_record(runs / "kmeans")
    first = build_report(runs, tmp_path / "a")
    second = build_report(runs, tmp_path / "b", lang="en")
    a, b = _tree(tmp_path / "a"), _tree(tmp_path / "b")
    assert first.endswith("index.html") and a.keys() == b.keys()
    assert [name for name in a if a[name] != b[name]] == []
    # the figures are copied byte for byte, with a thumbnail for the card
    copied = a["algorithms/kmeans/kmeans-iterations.zh.png"]
    assert copied == (runs / "kmeans" / "kmeans-iterations.zh.png").read_bytes()
    assert "algorithms/kmeans/thumbnail.png" in a
    # nothing in the pages records when or where they were built
    index = a["index.html"].decode()
    assert str(tmp_path / "a") not in index and not re.search(r"20\d\d-\d\d-\d\d", index)


def test_record_text_is_escaped(tmp_path):
    runs = tmp_path / "runs"
    record = _kmeans_record(runs / "kmeans", dataset=EVIL, param=EVIL)
    record.rows[1].model = "<img src=x onerror=alert(1)>"
    record.comparison["<b>bold</b>"] = "<i>x</i>"
    record.save_json()
    build_report(runs, tmp_path / "site")
    for page in ("algorithms/kmeans.html", "index.html"):
        html = (tmp_path / "site" / page).read_text(encoding="utf-8")
        assert EVIL not in html and "<img src=x" not in html and "<b>bold" not in html
        # the only scripts on a page are the report's own
        assert re.findall(r"<script[^>]*>", html) == ['<script src="../assets/report.js" defer>'
                                                      if page != "index.html" else
                                                      '<script src="assets/report.js" defer>']
    page = (tmp_path / "site" / "algorithms" / "kmeans.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "&lt;b&gt;bold&lt;/b&gt;" in page


def test_entries_without_results_say_not_run_yet(tmp_path):
    runs = tmp_path / "empty"
    runs.mkdir()
    index = build_report(runs, tmp_path / "site", lang="zh")
    html = Path(index).read_text(encoding="utf-8")
    assert 'data-lang="zh"' in html
    for entry in entries():
        page = (tmp_path / "site" / "algorithms" / f"{entry.name}.html").read_text(encoding="utf-8")
        assert "Not run yet" in page and "尚未运行" in page
        assert f"mlatlas run {entry.name} --out {os.path.join(str(runs), entry.name)}" in page
        assert f'href="algorithms/{entry.name}.html"' in html
        assert 'id="run"' not in page and 'id="figures"' not in page


def test_unreadable_and_failed_runs_keep_their_pages(tmp_path):
    runs = tmp_path / "runs"
    (runs / "kmeans").mkdir(parents=True)
    (runs / "kmeans" / "record.json").write_text("{not json", encoding="utf-8")
    (runs / "gmm.error.txt").write_text("Traceback ...\nValueError: <broken> input\n", encoding="utf-8")
    build_report(runs, tmp_path / "site")
    kmeans = (tmp_path / "site" / "algorithms" / "kmeans.html").read_text(encoding="utf-8")
    assert "could not be read" in kmeans and "not valid JSON" in kmeans and "Not run yet" in kmeans
    gmm = (tmp_path / "site" / "algorithms" / "gmm.html").read_text(encoding="utf-8")
    assert "The last run failed" in gmm and "ValueError: &lt;broken&gt; input" in gmm


def test_a_run_page_shows_the_comparison_iterations_and_figures(tmp_path):
    runs = tmp_path / "runs"
    _kmeans_record(runs / "kmeans")
    build_report(runs, tmp_path / "site")
    page = (tmp_path / "site" / "algorithms" / "kmeans.html").read_text(encoding="utf-8")
    # ours and the reference side by side, the time ratios ours / reference
    assert "sklearn.cluster.KMeans" in page and "<td>0.50</td><td>1.00</td>" in page
    # three recorded iterations, counted from 1 as the figures count them
    assert page.count('class="frame"') == 3 and [m for m in re.findall(r'data-step="(\d+)"', page)] == ["1", "2", "5"]
    assert '<img class="l-zh" src="kmeans/kmeans-iterations.zh.png"' in page
    assert page.count("<math") == len(CONTENT["kmeans"]["equations"])
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    card = index[index.index('id="card-kmeans"'):]
    card = card[: card.index("</a>")]
    # the metric by its bilingual name (its key and meaning in the tooltip), ours, then the reference's
    assert '<span class="l-en" lang="en">adjusted Rand index</span><span class="l-zh" lang="zh">调整兰德指数</span>' in card
    assert 'title="adjusted_rand: agreement' in card and ": <b>0.9000</b>" in card and "0.50" in card


def test_worked_example_table_has_the_notes_and_the_corrected_values(tmp_path):
    from mlatlas.atlas import get, run_entry

    runs = tmp_path / "runs"
    run_entry(get("worked-example"), out_dir=str(runs / "worked-example"), figures=False)
    build_report(runs, tmp_path / "site")
    page = (tmp_path / "site" / "algorithms" / "worked-example.html").read_text(encoding="utf-8")
    rows = re.findall(r"<tr( class=\"erratum\")?><th><code>([^<]+)</code>[^<]*</th><td>([^<]+)</td><td>[^<]+</td>"
                      r"<td>([^<]+)</td><td>([^<]+)</td></tr>", page)
    table = {name: (bool(flag), ours, notes, corrected) for flag, name, ours, notes, corrected in rows}
    assert len(table) == 37
    # the notes' slip: z1[0] is -0.4, not -0.9; L is only rounded (0.697) and not flagged
    assert table["z1[0]"] == (True, "-0.4", "-0.9", "-0.4")
    assert table["L"] == (False, "0.6962", "0.697", "0.6962")
    assert table["dL/dW1[1,1]"] == (False, "0.944", "0.944", "0.944")
    assert [name for name, row in table.items() if row[0]] == ["z1[0]"]
    assert table["L_new"][2] == "-"  # the notes stop at the update rule


@pytest.mark.parametrize("name", sorted({e.name for e in entries()} | set(COMING)))
def test_every_entry_has_prose_in_both_languages(name):
    from latex2mathml.converter import convert

    assert name in CONTENT, f"no report content for {name}"
    content = CONTENT[name]
    assert set(FIELDS) <= set(content) and content["group"] in dict(GROUPS)
    for field in ("what", "when"):
        english, chinese = content[field]
        assert len(english) > 20 and re.search(r"[\u4e00-\u9fff]", chinese)
    for field in ("strengths", "weaknesses"):
        assert content[field] and all(len(e) > 5 and re.search(r"[\u4e00-\u9fff]", z) for e, z in content[field])
    assert 1 <= len(content["equations"]) <= 4
    for latex in content["equations"]:
        mathml = convert(latex)
        # every command was understood: none is left as raw text
        assert mathml.startswith("<math") and not re.search(r"\\[A-Za-z]", mathml), latex
    assert content["source"].startswith("mlatlas/") and content["source"].endswith(".py")
    assert re.search(r"[\u4e00-\u9fff]", content["title_zh"] or "")


def test_registered_entries_link_to_existing_source_files():
    root = Path(__file__).resolve().parents[2] / "src"
    assert [e.name for e in entries() if not (root / CONTENT[e.name]["source"]).is_file()] == []


def test_traces_and_frames_from_specs_and_guesses():
    arrays = {"history.epoch": np.arange(1, 6), "history.loss": np.linspace(2, 1, 5),
              "history.kl": np.linspace(0.1, 0.5, 5),
              "samples.trajectory": np.random.default_rng(0).random((4, 3, 8, 8)),
              "grid.xs": np.linspace(0, 1, 50)}
    specs = guess_traces(arrays)
    assert specs == [{"series": [["history.kl", "kl"], ["history.loss", "loss"]], "x": "history.epoch",
                      "each": True}]
    charts = build_traces(specs, arrays)
    assert [c["title"] for c in charts] == [("kl", "kl"), ("loss", "loss")]
    assert [s["label"] for s in charts[1]["steps"]] == ["1", "2", "3", "4", "5"]
    assert charts[1]["steps"][-1]["values"][0][1] == "1"
    frames = build_frames(guess_frames(arrays), arrays)
    assert len(frames) == 1 and len(frames[0]["frames"]) == 4
    assert all(f["image"].startswith("data:image/png;base64,") for f in frames[0]["frames"])
    # a column never filled in (all NaN) draws no empty chart
    assert build_traces([{"series": [["history.*", None]], "each": True}],
                        {**arrays, "history.loss": np.full(5, np.nan)})[0]["title"] == ("KL term", "KL 项")
    # a spec naming arrays the record lacks draws nothing instead of failing
    assert build_traces([{"series": [["missing.loss", "x"]]}], arrays) == []
    assert build_frames([{"kind": "scatter", "points": "missing.X", "labels": "missing.y"}], arrays) == []


def test_png_and_ticks():
    from PIL import Image
    import io

    pixels = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(png_bytes(pixels)))), pixels)
    rgb = np.stack([pixels, pixels // 2, 255 - pixels], axis=-1)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(png_bytes(rgb)))), rgb)
    with pytest.raises(ValueError, match="uint8"):
        png_bytes(pixels.astype(float))
    grid = image_grid(np.stack([np.eye(2), np.zeros((2, 2))]), scale=2, gap=1)
    assert grid.shape == (6, 11) and grid[1, 1] == 255 and grid[1, 3] == 0 and grid[1, 6] == 128
    # digits in [0, 1] as ink on paper: 1 is black, 0 white, values outside clipped
    ink = image_grid(np.array([[[1.0, 0.0], [0.5, 7.0]]]), scale=1, gap=0, value_range=(0, 1))
    assert ink.tolist() == [[0, 255], [128, 0]]
    assert nice_ticks(0.0, 1.0) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert nice_ticks(0.0, 1e4) == [0.0, 2000.0, 4000.0, 6000.0, 8000.0, 10000.0]
    assert nice_ticks(-3.0, 1e4) == [0.0, 5000.0, 10000.0]


def test_report_cli(tmp_path, capsys):
    runs = tmp_path / "runs"
    _kmeans_record(runs / "kmeans")
    assert main(["report", "--from", str(runs), "--out", str(tmp_path / "site"), "--lang", "zh"]) == 0
    assert str(tmp_path / "site" / "index.html") in capsys.readouterr().out
    assert 'data-default-lang="zh"' in (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert main(["report", "--from", str(runs)]) == 0  # default --out: FROM/report
    assert (runs / "report" / "algorithms" / "kmeans.html").is_file()
    assert main(["report", "--from", str(runs)]) == 0  # and again: the report folder is not a run
    capsys.readouterr()
    blocker = tmp_path / "file"
    blocker.write_text("x")
    for argv, message in ((["report", "--from", str(tmp_path / "nope")], "no such folder"),
                          (["report", "--from", str(runs), "--out", str(blocker)], "is a file"),
                          (["report", "--from", str(runs), "--out", str(blocker / "sub")], "cannot write")):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert message in err and len(err.splitlines()) == 1
    assert main(["report", "--from", str(runs), "--lang", "fr"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_build_report_rejects_bad_input(tmp_path):
    with pytest.raises(ValueError, match="no such folder"):
        build_report(tmp_path / "missing", tmp_path / "site")
    with pytest.raises(ValueError, match="lang must be"):
        build_report(tmp_path, tmp_path / "site", lang="fr")
    assert not (tmp_path / "site").exists()  # the builder wrote nothing for either


def test_demo_ends_by_building_the_report(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--only", "mle", "--no-figures", "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    index = tmp_path / "report" / "index.html"
    assert f"web report: {index}" in out
    page = (tmp_path / "report" / "algorithms" / "mle.html").read_text(encoding="utf-8")
    assert 'id="run"' in page and "Not run yet" not in page
    assert "Not run yet" in (tmp_path / "report" / "algorithms" / "kmeans.html").read_text(encoding="utf-8")


def test_a_run_of_an_unregistered_entry_or_without_figures_still_gets_a_page(tmp_path):
    runs = tmp_path / "runs"
    record = RunRecord(entry="my-own-model", dataset="mine", seed=0, params={},
                       rows=[ModelRow("mlatlas", {"score": 1.0}, 0.1, None)], primary_metric="score")
    record.save(runs / "mine")
    RunRecord(entry="gmm", dataset="blobs", seed=0, params={}, rows=[ModelRow("mlatlas", {"bic": 3.0})],
              primary_metric="bic").save(runs / "gmm")
    build_report(runs, tmp_path / "site")
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    other = index[index.index('id="group-other"'):]
    assert 'href="algorithms/my-own-model.html"' in other
    page = (tmp_path / "site" / "algorithms" / "my-own-model.html").read_text(encoding="utf-8")
    assert "No description has been written" in page and 'id="run"' in page and "Not run yet" not in page
    card = index[index.index('id="card-gmm"'):]
    assert "run without figures" in card[: card.index("</a>")]


def test_a_damaged_figure_costs_the_card_its_thumbnail_only(tmp_path):
    runs = tmp_path / "runs"
    record = _kmeans_record(runs / "kmeans")
    (runs / "kmeans" / record.figures[0]).write_bytes(b"not a png")
    with pytest.warns(UserWarning, match="no thumbnail"):
        build_report(runs, tmp_path / "site")
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    card = index[index.index('id="card-kmeans"'):]
    assert "thumbnail.png" not in card[: card.index("</a>")] and "adjusted_rand" in card


def test_a_constant_series_gets_a_range_around_its_value():
    from mlatlas.report.svg import _padded

    # a constant learning rate: the axis spans +-10% of it, not [c - 0.5, c + 0.5] with the line at "0"
    low, high = _padded(1e-3, 1e-3)
    assert low == pytest.approx(0.9e-3) and high == pytest.approx(1.1e-3)
    ticks = nice_ticks(low, high)
    assert len(ticks) >= 3 and min(ticks) < 1e-3 < max(ticks)
    # constant up to rounding is constant too; zero keeps a unit range; a real spread is padded by 4%
    assert _padded(5.0, 5.0 + 1e-12) == pytest.approx((4.5, 5.5))
    assert _padded(0.0, 0.0) == (-0.5, 0.5)
    assert _padded(0.0, 1.0) == pytest.approx((-0.04, 1.04))


def test_the_headline_compares_ours_with_the_registry_reference(tmp_path):
    from mlatlas.report.build import _headline, _run_table

    rows = [ModelRow("mlatlas DBNClassifier", {"accuracy": 0.95}, 2.0, 0.01),
            ModelRow("mlatlas, no pretraining", {"accuracy": 0.93}, 1.0, 0.01),
            ModelRow("sklearn.neural_network.MLPClassifier", {"accuracy": 0.94}, 4.0, 0.01)]
    record = RunRecord(entry="dbn-classifier", dataset="digits", seed=0, params={}, rows=rows,
                       comparison={}, primary_metric="accuracy")
    headline = _headline(record, ("sklearn.neural_network.MLPClassifier", "sklearn.linear_model.LogisticRegression"))
    assert headline["reference_name"] == "sklearn.neural_network.MLPClassifier"
    assert headline["reference"] == "0.9400" and headline["fit_ratio"] == "0.50"
    assert _run_table(record, ("sklearn.neural_network.MLPClassifier",))["ratio"]["fit"] == "0.50"
    # a reference named by its short class name; none named: the second row
    assert _headline(record, ("MLPClassifier",))["reference_name"].endswith("MLPClassifier")
    assert _headline(record, ())["reference_name"] == "mlatlas, no pretraining"


def test_a_wide_run_table_is_turned_one_row_per_metric(tmp_path):
    runs = tmp_path / "runs"
    metrics = {f"normal.p{i}": float(i) for i in range(20)} | {"normal.loglik": -3.0}
    record = RunRecord(entry="mle", dataset="nile", seed=0, params={},
                       rows=[ModelRow("mlatlas", metrics, 0.01, None), ModelRow("scipy.stats", metrics, 0.02, None)],
                       comparison={}, primary_metric="normal.loglik")
    record.save(runs / "mle")
    build_report(runs, tmp_path / "site")
    page = (tmp_path / "site" / "algorithms" / "mle.html").read_text(encoding="utf-8")
    table = page[page.index('class="run-table by-metric"'):]
    table = table[: table.index("</table>")]
    # two model columns, a row per metric, labelled in both languages with the key beside
    assert table.count("<tr") == 1 + 21 + 2 and "<th>scipy.stats</th>" in table
    assert '<span class="l-zh" lang="zh">normal：对数似然</span>' in table and '<code class="key">normal.loglik</code>' in table
    # the data set in both languages
    assert '<span class="l-zh" lang="zh">尼罗河流量</span>' in page


def test_metric_and_dataset_labels():
    from mlatlas.report.content import DATASETS, METRICS, dataset_label, metric_label

    assert metric_label("accuracy")["zh"] == "准确率" and metric_label("accuracy")["en_note"]
    assert metric_label("nile-gamma.shape")["en"] == "nile-gamma: shape"
    assert metric_label("no such metric") == {"key": "no such metric", "en": "no such metric",
                                              "zh": "no such metric", "en_note": "", "zh_note": ""}
    assert dataset_label("digits") == ("digits", "手写数字") and dataset_label("mine") == ("mine", "mine")
    # every label has its four parts filled in; every data set a registry entry uses has a Chinese name
    assert all(all(part for part in value[:2]) and value[2] and value[3] for value in METRICS.values())
    assert {e.dataset for e in entries() if e.dataset} <= set(DATASETS)


def test_the_rbm_page_steps_through_its_filters_over_training():
    rng = np.random.default_rng(0)
    arrays = {"snapshots.filters": rng.normal(size=(4, 16, 64)).astype(np.float32),
              "snapshots.epochs": np.array([0, 3, 6, 7]), "chain.frames": rng.random((3, 8, 64))}
    sets = build_frames(CONTENT["rbm"]["frames"], arrays)
    filters = next(s for s in sets if s["title"][0].startswith("filters over training"))
    assert [f["step"] for f in filters["frames"]] == ["0", "3", "6", "7"] and filters["step_label"] == ("epoch", "轮次")
    assert len({f["image"] for f in filters["frames"]}) == 4  # each epoch its own picture
    # an older record without snapshots keeps its other sliders
    assert [s["title"][0] for s in build_frames(CONTENT["rbm"]["frames"], {"chain.frames": arrays["chain.frames"]})] \
        == [CONTENT["rbm"]["frames"][1]["title"][0]]


def test_a_wide_figure_gives_its_card_the_first_panel(tmp_path):
    from PIL import Image

    from mlatlas.report.build import _thumbnail

    # three panels side by side, each 118 x 100, the first red, the others blue
    pixels = np.zeros((100, 354, 3), dtype=np.uint8)
    pixels[:, :118] = (220, 0, 0)
    pixels[:, 118:] = (0, 0, 220)
    (tmp_path / "wide.png").write_bytes(png_bytes(pixels))
    assert _thumbnail(str(tmp_path / "wide.png"), str(tmp_path / "thumb.png"))
    with Image.open(tmp_path / "thumb.png") as image:
        card = np.asarray(image.convert("RGB")).astype(int)
    assert card.shape == (240, 360, 3)
    # only the red panel, centred, with white either side (letterboxed)
    inside = card[card.sum(axis=2) < 3 * 250]
    assert inside.size and np.all(inside[:, 0] > 150) and np.all(inside[:, 2] < 60)
    assert np.all(card[120, :10] == 255) and np.all(card[120, -10:] == 255)


def test_figures_carry_their_bilingual_captions(tmp_path):
    from markupsafe import escape

    from mlatlas.report.content import caption_of

    runs = tmp_path / "runs"
    _kmeans_record(runs / "kmeans")
    build_report(runs, tmp_path / "site")
    page = (tmp_path / "site" / "algorithms" / "kmeans.html").read_text(encoding="utf-8")
    en, zh = (escape(text) for text in caption_of("kmeans-iterations"))
    assert f'<figcaption><span class="l-en" lang="en">{en}</span><span class="l-zh" lang="zh">{zh}</span>' in page
    # a figure named after its data set takes its kind's caption; an unknown one has none
    assert caption_of("decision-tree-depth-iris") == caption_of("decision-tree-depth")
    assert caption_of("no-such-figure") is None
