"""A real browser for the report.html tests: Debian's chromium driven by selenium through the
system chromedriver (no browser download). ``chromium()`` skips the test, with the reason,
where there is none."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
DRIVER = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--enable-unsafe-swiftshader",
         "--window-size=1400,1000", "--disable-dev-shm-usage")


def _first(paths: tuple[str, ...], name: str) -> str | None:
    found = next((p for p in paths if os.access(p, os.X_OK)), None)
    return found or shutil.which(name)


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install 'nnrun[dev]')"
    if _first(CHROMIUM, "chromium") is None:
        return "no chromium here (apt-get install chromium; .ci/run installs it)"
    if _first(DRIVER, "chromedriver") is None:
        return "no chromedriver here (apt-get install chromium-driver; .ci/run installs it)"
    return None


@contextmanager
def chromium() -> Iterator:
    """A headless chromium (selenium's WebDriver), closed afterwards."""
    reason = missing_browser()
    if reason:
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = _first(CHROMIUM, "chromium")
    for flag in FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(_first(DRIVER, "chromedriver")), options=options)
    # A loaded machine parses 5 MB of inlined plotly.js slowly: wait, rather than fail.
    driver.command_executor._client_config.timeout = 600
    driver.set_page_load_timeout(600)
    driver.set_script_timeout(600)
    try:
        yield driver
    finally:
        driver.quit()


def open_report(driver, path: Path, timeout: float = 600) -> None:
    """Open a report.html from disk and wait until its glue has drawn every chart; fail at
    once, with the message, on a JavaScript error (the glue would never get there)."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(path.resolve().as_uri())
    errors: list[str] = []

    def settled(d) -> bool:
        errors.extend(entry["message"] for entry in d.get_log("browser")
                      if entry["level"] == "SEVERE")
        return bool(errors) or d.execute_script("return document.body.dataset.ready === 'yes'")

    WebDriverWait(driver, timeout).until(settled)
    assert not errors, f"{path}: JavaScript errors: {errors}"
