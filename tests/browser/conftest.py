import sys
from pathlib import Path

import pytest
from playwright import sync_api as playwright_api

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sessions"))


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless; Playwright never downloads a browser of its own here."""
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                              args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()
