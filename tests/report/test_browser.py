"""The web report in a real headless Chromium: every page loads cleanly, the language switch
is remembered, the sliders step through iterations, the index renders.

The site is built from a small real demo run (four quick entries, two of them iterative)
plus "not run yet" pages for every other entry.  Without Chromium, chromedriver or
Selenium the test skips with a message naming what is missing (``.ci/run`` sets
``MLATLAS_REQUIRE_BROWSER=1``, which turns that skip into a failure).  The checks run in
one test, so that parallel test workers build the site and start the browser once.
"""

import glob
import io
import os

import numpy as np

from browser_support import require_browser

#: Quick entries that need nothing beyond the core: k-means and AdaBoost are iterative
#: (slider frames and traces), the worked example has the table of every value, the k-NN
#: regressor a trace over k.
DEMO = ("kmeans", "adaboost", "worked-example", "knn-regressor")


def test_the_report_in_a_headless_browser(tmp_path):
    require_browser()
    from mlatlas.report import build_report
    from mlatlas.report.browser import open_browser
    from mlatlas.report.summary import run_demo

    assert run_demo(out_dir=str(tmp_path), only=DEMO, jobs=1, langs=("en", "zh")) == 0
    site = build_report(tmp_path, tmp_path / "report", lang="en")
    driver = open_browser(1280, 900)
    try:
        check_the_checks_can_fail(site, driver)
        check_every_page_loads_without_errors(site, driver)
        check_run_pages_and_not_run_pages(site, driver)
        check_language_switch_is_remembered(site, driver)
        check_sliders_step_through_iterations(site, driver)
        check_index_screenshot_is_not_blank(site, driver)
    finally:
        driver.quit()


def _open(driver, path):
    from mlatlas.report.browser import file_url, page_problems

    driver.get(file_url(path))
    return page_problems(driver)


def _visible(driver, css):
    return [e for e in driver.find_elements("css selector", css) if e.is_displayed()]


def check_the_checks_can_fail(site, driver):
    """A page with a missing image, a console error and a request to the network is caught."""
    broken = os.path.join(os.path.dirname(site), "broken.html")
    with open(broken, "w", encoding="utf-8") as handle:
        handle.write('<!DOCTYPE html><html><body><img src="missing.png" alt="x">'
                     '<img src="http://example.invalid/a.png" alt="y">'
                     '<script>console.error("boom")</script></body></html>')
    problems = " | ".join(_open(driver, broken))
    os.remove(broken)
    assert "console" in problems and "boom" in problems
    assert "image did not load: missing.png" in problems and "request failed" in problems
    assert "example.invalid" in problems


def check_every_page_loads_without_errors(site, driver):
    root = os.path.dirname(site)
    pages = [site] + sorted(glob.glob(os.path.join(root, "algorithms", "*.html"))) + sorted(
        glob.glob(os.path.join(root, "source", "*.html")))
    assert len(pages) > 20
    problems = {}
    for page in pages:
        found = _open(driver, page)
        if found:
            problems[os.path.relpath(page, root)] = found
    assert problems == {}
    # the equations are MathML that the browser lays out (not raw text)
    _open(driver, os.path.join(root, "algorithms", "kmeans.html"))
    maths = driver.find_elements("css selector", ".equation math")
    assert len(maths) == 3 and all(m.size["height"] > 10 for m in maths)


def check_run_pages_and_not_run_pages(site, driver):
    root = os.path.dirname(site)
    _open(driver, os.path.join(root, "algorithms", "adaboost.html"))
    assert _visible(driver, "#run table") and _visible(driver, "#figures img")
    assert not driver.find_elements("css selector", "#not-run")
    _open(driver, os.path.join(root, "algorithms", "svm.html"))
    box = _visible(driver, "#not-run")
    assert box and "Not run yet" in box[0].text and "mlatlas run svm --out" in box[0].text
    _open(driver, os.path.join(root, "algorithms", "worked-example.html"))
    erratum = driver.find_elements("css selector", "#worked tr.erratum")
    assert len(erratum) == 1 and erratum[0].find_element("tag name", "th").text == "z1[0] †"
    # ours, torch (when installed), the notes as printed, corrected by hand
    cells = [td.text for td in erratum[0].find_elements("tag name", "td")]
    assert cells[0] == "-0.4" and cells[2:] == ["-0.9", "-0.4"]


def check_language_switch_is_remembered(site, driver):
    root = os.path.dirname(site)
    _open(driver, site)
    heading = driver.find_element("css selector", "h1")
    assert "atlas of machine-learning" in heading.text
    driver.find_element("id", "lang-zh").click()
    assert heading.text == "mlatlas：机器学习算法图谱"
    assert driver.find_element("tag name", "html").get_attribute("lang") == "zh-CN"
    # another page opens in Chinese: the choice is kept in localStorage
    assert _open(driver, os.path.join(root, "algorithms", "kmeans.html")) == []
    assert _visible(driver, "#prose h2")[0].text == "它做什么"
    assert all(img.get_attribute("src").endswith(".zh.png") for img in _visible(driver, "#figures img"))
    driver.find_element("id", "lang-en").click()
    assert _visible(driver, "#prose h2")[0].text == "What it does"
    _open(driver, site)
    assert "atlas of machine-learning" in driver.find_element("css selector", "h1").text


def check_sliders_step_through_iterations(site, driver):
    from selenium.webdriver.common.keys import Keys

    root = os.path.dirname(site)
    for name in ("kmeans", "adaboost"):
        _open(driver, os.path.join(root, "algorithms", f"{name}.html"))
        stepper = driver.find_element("css selector", ".stepper")
        before = [f.get_attribute("innerHTML") for f in stepper.find_elements("css selector", ".frame")
                  if f.is_displayed()]
        label = stepper.find_element("css selector", ".step-label").text
        stepper.find_element("css selector", "input[type=range]").send_keys(Keys.ARROW_RIGHT)
        after = [f.get_attribute("innerHTML") for f in stepper.find_elements("css selector", ".frame")
                 if f.is_displayed()]
        assert len(before) == len(after) == 1 and before != after
        assert stepper.find_element("css selector", ".step-label").text != label
        # a trace's cursor moves along the curve and reads the value out
        trace = driver.find_element("css selector", ".trace")
        line = trace.find_element("css selector", ".cursor-line")
        value = trace.find_element("css selector", ".readout b").text
        trace.find_element("css selector", "input[type=range]").send_keys(Keys.END)
        assert float(line.get_attribute("x1")) > 0
        assert trace.find_element("css selector", ".readout b").text != value
        assert _open(driver, site) == []


def check_index_screenshot_is_not_blank(site, driver):
    from PIL import Image

    _open(driver, site)
    cards = driver.find_elements("css selector", ".card")
    assert len(cards) >= 20
    assert len(driver.find_elements("css selector", ".card img.thumb")) == len(DEMO)
    image = np.asarray(Image.open(io.BytesIO(driver.get_screenshot_as_png())).convert("L"), dtype=float)
    assert image.shape[0] > 500 and image.std() > 20
    assert len(np.unique(image)) > 50
