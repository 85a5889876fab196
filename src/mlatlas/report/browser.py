"""Open the web report in a real headless Chromium (Selenium with the system's chromedriver).

Used by the report's end-to-end test and to take the README's screenshots::

    python -m mlatlas.report.browser SITE/index.html --screenshots docs/

Nothing is downloaded: Selenium is given the system's ``chromedriver`` (Debian's
``chromium-driver``), so Selenium Manager never runs, and the browser resolves no host
names, so a page that tried to fetch anything from the network would fail loudly.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

__all__ = ["BrowserMissing", "find_browser", "open_browser", "page_problems", "file_url", "save_screenshot"]

_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")
_DRIVERS = ("chromedriver",)
_DRIVER_PLACES = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver", "/usr/lib/chromium-browser/chromedriver")


class BrowserMissing(RuntimeError):
    """No headless browser can be had here; the message names what is missing."""


def find_browser() -> tuple[str, str]:
    """The paths of Chromium and its chromedriver; :class:`BrowserMissing` names what is absent."""
    missing = []
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium package (pip install selenium)")
    browser = next((p for p in map(shutil.which, _BROWSERS) if p), None)
    if browser is None:
        missing.append("a Chromium browser (apt-get install chromium)")
    driver = next((p for p in map(shutil.which, _DRIVERS) if p), None) or next(
        (p for p in _DRIVER_PLACES if os.path.isfile(p) and os.access(p, os.X_OK)), None)
    if driver is None:
        missing.append("chromedriver (apt-get install chromium-driver)")
    if missing:
        raise BrowserMissing("no headless browser: missing " + ", ".join(missing))
    return browser, driver


def open_browser(width: int = 1280, height: int = 900):
    """A headless Chromium driven by Selenium, logging the console and the network."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver = find_browser()
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     f"--window-size={width},{height}", "--hide-scrollbars", "--force-device-scale-factor=1",
                     "--no-first-run", "--disable-extensions", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--allow-file-access-from-files",
                     # resolve no host: the report must fetch nothing
                     "--host-resolver-rules=MAP * ~NOTFOUND"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=driver), options=options)


def file_url(path: str | os.PathLike) -> str:
    return Path(path).resolve().as_uri()


_IMAGES_JS = """
var bad = [];
var images = document.images;
for (var i = 0; i < images.length; i++) {
  if (!images[i].complete || images[i].naturalWidth === 0) { bad.push(images[i].getAttribute('src').slice(0, 80)); }
}
return bad;
"""


def page_problems(driver) -> list[str]:
    """What went wrong on the page loaded last: console errors, failed requests, broken images.

    Reading the logs empties them, so call this once after each page load.
    """
    problems = []
    for entry in driver.get_log("browser"):
        if entry.get("level") in ("SEVERE", "ERROR"):
            problems.append(f"console: {entry.get('message')}")
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        method, params = message.get("method"), message.get("params", {})
        if method == "Network.loadingFailed" and not params.get("canceled"):
            problems.append(f"request failed: {params.get('errorText')} ({params.get('type')})")
        elif method == "Network.responseReceived":
            response = params.get("response", {})
            if response.get("status", 200) >= 400:
                problems.append(f"request failed: {response.get('status')} {response.get('url')}")
    problems += [f"image did not load: {src}" for src in driver.execute_script(_IMAGES_JS)]
    return problems


def save_screenshot(driver, url: str, path: str | os.PathLike, *, lang: str | None = None,
                    max_colours: int = 128) -> str:
    """Open ``url`` (in ``lang`` if given), screenshot the window, save a palette PNG at ``path``."""
    import io

    from PIL import Image

    driver.get(url)
    if lang is not None:
        driver.find_element("css selector", f"[data-set-lang='{lang}']").click()
        # clicking scrolled the button into view: back to the section the URL names
        driver.execute_script("var id = location.hash.slice(1); var el = id && document.getElementById(id);"
                              "if (el) { el.scrollIntoView(); }")
    image = Image.open(io.BytesIO(driver.get_screenshot_as_png())).convert("RGB")
    # a palette of max_colours keeps the README's screenshots small
    image = image.quantize(colors=max_colours, method=Image.Quantize.MEDIANCUT)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    image.save(path, format="PNG", optimize=True)
    return os.fspath(path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mlatlas.report.browser",
                                     description="Screenshot a built report's index and one algorithm page.")
    parser.add_argument("index", help="the report's index.html")
    parser.add_argument("--screenshots", required=True, metavar="DIR", help="where the PNG files go")
    parser.add_argument("--page", default="kmeans", help="the algorithm page to screenshot, NAME or NAME#SECTION "
                        "(default: kmeans)")
    parser.add_argument("--lang", choices=("en", "zh"), default="en")
    parser.add_argument("--width", type=int, default=1200, help="window width in pixels (default: 1200)")
    parser.add_argument("--height", type=int, default=900, help="window height in pixels (default: 900)")
    args = parser.parse_args(argv)
    try:
        driver = open_browser(args.width, args.height)
    except BrowserMissing as exc:
        print(f"mlatlas: error: {exc}", file=sys.stderr)
        return 2
    try:
        index = Path(args.index)
        page = file_url(index.parent / "algorithms" / f"{args.page.partition('#')[0]}.html")
        anchor = args.page.partition("#")[2]
        written = [save_screenshot(driver, file_url(index), Path(args.screenshots) / "report-index.png",
                                   lang=args.lang),
                   save_screenshot(driver, page + (f"#{anchor}" if anchor else ""),
                                   Path(args.screenshots) / "report-page.png", lang=args.lang)]
    finally:
        driver.quit()
    for path in written:
        print(f"wrote {path} ({os.path.getsize(path)} bytes)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
