"""A real headless Chromium (Debian's `chromium` + `chromium-driver`) driven by selenium.

`make test` installs the two packages when they are missing (scripts/start-services.sh);
`browser_problem()` says why a browser test must skip when they still are not there. The
browser may reach only this machine: every other host name resolves to nothing.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

CHROMIUM = ("chromium", "chromium-browser")
DRIVER = ("chromedriver", "chromium-driver")
FLAGS = (
    "--headless=new",
    "--no-sandbox",  # containers and root: the sandbox needs user namespaces
    "--disable-dev-shm-usage",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--hide-scrollbars",
    "--force-color-profile=srgb",
    # Only 127.0.0.1 and localhost answer; any other name fails to resolve.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
)


def _which(names: tuple[str, ...]) -> str | None:
    for name in names:
        found = shutil.which(name) or (
            f"/usr/lib/chromium/{name}" if os.path.exists(f"/usr/lib/chromium/{name}") else None
        )
        if found:
            return found
    return None


def browser_problem() -> str | None:
    """Why no browser test can run here, or None."""
    if _which(CHROMIUM) is None:
        return "Chromium is not installed (make test installs Debian's chromium when apt can)"
    if _which(DRIVER) is None:
        return "chromedriver is not installed (apt-get install chromium-driver; make test does)"
    return None


@contextmanager
def chromium(width: int = 1100, height: int = 1400) -> Iterator[Any]:
    """A headless Chromium session; quits it afterwards."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver = _which(CHROMIUM), _which(DRIVER)
    assert binary is not None, browser_problem()
    assert driver is not None, browser_problem()
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--window-size={width},{height}")
    # Both paths given: selenium's driver manager never goes looking on the internet.
    os.environ.setdefault("SE_OFFLINE", "true")
    session = webdriver.Chrome(options=options, service=Service(executable_path=driver))
    try:
        yield session
    finally:
        session.quit()
