"""Fixtures of the portal's tests: the demo portal on a temporary SQLite file, served by uvicorn
on a free local port in a thread, and headless Chromium driven by Selenium.

The browser is the distribution's (``/usr/bin/chromium`` and ``/usr/bin/chromedriver``, or
``MDREG_CHROMIUM`` and ``MDREG_CHROMEDRIVER``); nothing is downloaded. Without it the browser
tests skip, unless ``MDREG_REQUIRE_BROWSER=1`` (set by ``.ci/run``) makes that a failure.
Screenshots go to ``MDREG_ARTIFACTS`` (default: a pytest temporary directory).
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import mdreg

from ..serve import demo_app

CHROMIUM = os.environ.get("MDREG_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("MDREG_CHROMEDRIVER", "/usr/bin/chromedriver")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Served:
    """A portal being served: its URL, its FastAPI app and registry."""

    url: str
    app: Any

    @property
    def registry(self) -> mdreg.Registry:
        return self.app.state.portal.registry


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The demo portal on its own SQLite file and port, for one test module."""
    import uvicorn

    database = tmp_path_factory.mktemp("portal") / "portal.sqlite"
    app = demo_app(f"sqlite:///{database}", settings=mdreg.SecuritySettings.for_tests())
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the portal did not start")
        time.sleep(0.05)
    yield Served(f"http://127.0.0.1:{port}", app)
    server.should_exit = True
    thread.join(10)


def browser_missing() -> str | None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not Path(path).exists():
            return f"{path} is not installed (apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One headless Chromium for a test module (its cookies are cleared between tests)."""
    missing = browser_missing()
    if missing:
        if os.environ.get("MDREG_REQUIRE_BROWSER") == "1":
            pytest.fail(f"MDREG_REQUIRE_BROWSER=1 but {missing}")
        pytest.skip(missing)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,1000", "--lang=zh-CN", "--no-first-run",
                     "--disable-extensions", "--password-store=basic"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = os.environ.get("MDREG_ARTIFACTS")
    path = Path(where) if where else tmp_path_factory.mktemp("artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


class Browser:
    """The steps the tests take, in the portal's words."""

    def __init__(self, driver: Any, url: str, artifacts: Path) -> None:
        self.driver, self.url, self.artifacts = driver, url, artifacts

    def open(self, path: str) -> Browser:
        self.driver.get(self.url + path)
        return self

    def fill(self, **fields: str) -> Browser:
        from selenium.webdriver.common.by import By
        for name, value in fields.items():
            element = self.driver.find_element(By.CSS_SELECTOR, f"[name='{name}']:not([type=hidden])")
            if element.tag_name == "select":
                from selenium.webdriver.support.ui import Select
                Select(element).select_by_value(value)
            else:
                element.clear()
                element.send_keys(value)
        return self

    def fill_in(self, form: str, **fields: str) -> Browser:
        from selenium.webdriver.common.by import By
        scope = self.driver.find_element(By.CSS_SELECTOR, form)
        for name, value in fields.items():
            element = scope.find_element(By.CSS_SELECTOR, f"[name='{name}']")
            element.clear()
            element.send_keys(value)
        return self

    def click(self, element_id: str) -> Browser:
        """Click a button or link and wait for the page it leads to."""
        from selenium.webdriver.common.by import By
        return self.navigating(lambda: self.driver.find_element(By.ID, element_id).click())

    def navigating(self, action: Any) -> Browser:
        """Run ``action`` and wait until the browser has loaded the next page (a new document
        has no marker)."""
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.support.ui import WebDriverWait
        self.driver.execute_script("window.portalPageMarker = true;")
        action()
        WebDriverWait(self.driver, 15, ignored_exceptions=(WebDriverException,)).until(
            lambda d: d.execute_script(
                "return !window.portalPageMarker && document.readyState === 'complete';"))
        return self

    def text(self, selector: str = "body") -> str:
        from selenium.webdriver.common.by import By
        return str(self.driver.find_element(By.CSS_SELECTOR, selector).text)

    @property
    def path(self) -> str:
        return str(self.driver.current_url)[len(self.url):]

    def login(self, login_name: str, password: str) -> Browser:
        self.logout()
        return self.open("/login").fill(login_name=login_name, password=password).click("login")

    def logout(self) -> Browser:
        self.driver.delete_all_cookies()
        return self

    def code(self) -> str:
        """The newest six-digit code on the demo phone."""
        found = re.search(r"：(\d{6})", self.open("/phone").text("#messages"))
        assert found, "no code on the demo phone"
        return found.group(1)

    def screenshot(self, name: str) -> Path:
        path = self.artifacts / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path


@pytest.fixture
def browser(chromium: Any, served: Served, artifacts: Path) -> Browser:
    chromium.delete_all_cookies()
    return Browser(chromium, served.url, artifacts)
