"""Accessibility of the landing and studio pages: axe-core (the copy inside PyPI's axe-playwright-python, so it
runs offline) reports no violations at desktop and phone sizes; the canvas has an accessible name and can be
drawn on with the keyboard; the selected (black) tool button shows a visible focus ring; /favicon.ico is served.
Screenshots in artifacts/browser/."""
import io
import sys
import urllib.request
from pathlib import Path

import pytest
from PIL import Image

from pages import axe_violations as violations, open_page

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "guidance"))

from guidedserver import ROOT, TINY_MODEL, guided_server  # noqa: E402

ARTIFACTS = ROOT / "artifacts" / "browser"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = guided_server(tmp_path_factory.mktemp("a11y"), model=TINY_MODEL).start()
    yield s
    s.stop()


@pytest.mark.parametrize("size", [(1200, 800), (390, 844)], ids=["desktop", "phone"])
def test_studio_and_landing_pages_pass_axe(server, browser, size):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = open_page(browser, f"{server.base}/s/{server.new_session()}", viewport=size)
    page.wait_for_function("window.sketchfaceGuidance.frames >= 1 && window.sketchfaceGuidance.palette", timeout=20000)
    page.select_option("#mode", "on_demand")
    page.wait_for_function("!document.getElementById('convert').hidden")
    page.click("#candidates")
    page.wait_for_function("window.sketchfaceGuidance.candidates && !window.sketchfaceGuidance.candidates.pending", timeout=20000)
    assert violations(page) == {}
    page.goto(server.base + "/")
    assert violations(page) == {}


def test_offline_studio_passes_axe(browser, tmp_path):
    s = guided_server(tmp_path, model=TINY_MODEL).start()
    try:
        page = open_page(browser, f"{s.base}/s/{s.new_session()}")
        page.wait_for_function("window.sketchfaceGuidance.frames >= 1", timeout=20000)
        s.kill9()
        page.wait_for_function("document.getElementById('connection').dataset.state === 'reconnecting'", timeout=5000)
        assert violations(page) == {}
    finally:
        s.stop()


def test_canvas_has_a_name_and_draws_with_the_keyboard(server, browser):
    session = server.new_session()
    page = open_page(browser, f"{server.base}/s/{session}")
    canvas = page.get_by_role("application", name="Sketch canvas")
    assert canvas.count() == 1
    page.focus("#export")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "sketch", "Tab reaches the canvas after the tools"
    assert page.locator("#keyboard-pen").is_visible(), "the keyboard pen's position is shown"
    # Put the pen down at the middle, move right five big steps, lift it.
    page.keyboard.press("Enter")
    for _ in range(5):
        page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Enter")
    page.wait_for_function("window.sketchface.outbox.entries.length === 0 && window.sketchface.doc.head >= 3")
    pgm = urllib.request.urlopen(f"{server.base}/s/{session}/sketch.pgm").read()[len(b"P5\n512 512\n255\n"):]
    for x in (270, 330, 400):
        assert pgm[256 * 512 + x] < 128, f"the keyboard stroke reached the server at x={x}"
    assert pgm[200 * 512 + 330] == 255
    page.screenshot(path=str(ARTIFACTS / "a11y-keyboard-stroke.png"))
    assert not page.errors, page.errors


def outline(page):
    return page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
        return { id: document.activeElement.id, style: s.outlineStyle, width: parseFloat(s.outlineWidth), color: s.outlineColor,
                 offset: parseFloat(s.outlineOffset), background: s.backgroundColor }; }""")


def test_selected_tool_shows_a_visible_focus_ring(server, browser):
    page = open_page(browser, f"{server.base}/s/{server.new_session()}")
    page.focus("#replay-link")   # the last control of the header; Tab goes on to the tools
    page.keyboard.press("Tab")
    ring = outline(page)
    assert ring["id"] == "pen" and page.get_attribute("#pen", "aria-pressed") == "true"
    assert ring["style"] == "solid" and ring["width"] >= 2 and ring["offset"] >= 2, ring
    assert ring["color"] != ring["background"], "the ring is not the colour of the selected button"
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")   # select the Eraser with the keyboard: it turns black and keeps the ring
    ring = outline(page)
    assert ring["id"] == "eraser" and page.get_attribute("#eraser", "aria-pressed") == "true"
    assert ring["style"] == "solid" and ring["width"] >= 2, ring
    page.locator(".tools").screenshot(path=str(ARTIFACTS / "a11y-focus-ring.png"))


def test_favicon_is_served_and_no_page_request_fails(server, browser):
    with urllib.request.urlopen(server.base + "/favicon.ico") as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "image/x-icon"
        icon = Image.open(io.BytesIO(response.read()))
    assert {(16, 16), (32, 32)} <= icon.info["sizes"]
    page = browser.new_page()
    failed = []
    page.on("response", lambda r: failed.append((r.status, r.url)) if r.status >= 400 else None)
    for url in (server.base + "/", f"{server.base}/s/{server.new_session()}"):
        page.goto(url)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.querySelector('link[rel=icon]').href") == server.base + "/favicon.ico"
    assert failed == []
    page.wait_for_function("document.getElementById('connection').dataset.state === 'live'", timeout=10000)
    assert page.evaluate("[typeof window.sketchface, typeof window.sketchfaceGuidance]") == ["undefined", "undefined"], \
        "test hooks only on pages loaded for tests"

