"""Page helpers shared by the browser tests: open a sketch page, map canvas points to screen points, run axe-core."""
from pathlib import Path

import axe_playwright_python

# axe-core as shipped inside PyPI's axe-playwright-python: the accessibility check runs offline.
AXE = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()
AXE_RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def open_page(browser, url, viewport=(1200, 800)):
    """A fresh page at `url` loaded for tests (`?test`: the page exposes `window.sketchface`), waited on until its
    connection banner says live; `page.errors` collects page errors."""
    width, height = viewport
    page = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1).new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(for_tests(url))
    page.wait_for_function("document.getElementById('connection').dataset.state === 'live'", timeout=10000)
    page.errors = errors
    return page


def canvas_to_screen(page, x, y):
    """Screen point of canvas point (x, y) on the 512×512 sketch canvas, whatever its CSS size."""
    box = page.locator("#sketch").bounding_box()
    return box["x"] + x / 512 * box["width"], box["y"] + y / 512 * box["height"]


def replica_sha(page):
    """FNV-1a of the page's replica canvas and its head seq."""
    return page.evaluate("""() => {
        const px = window.sketchface.doc.canvas; let h = 2166136261 >>> 0;
        for (let k = 0; k < px.length; k++) h = Math.imul(h ^ px[k], 16777619) >>> 0;
        return [h, window.sketchface.doc.head];
    }""")


def fnv(data):
    """FNV-1a of bytes (the checksum RasterTests pins)."""
    h = 2166136261
    for b in data:
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def draw(page, points, steps=4):
    """Draws one stroke through canvas points with the mouse."""
    page.mouse.move(*canvas_to_screen(page, *points[0]))
    page.mouse.down()
    for p in points[1:]:
        page.mouse.move(*canvas_to_screen(page, *p), steps=steps)
    page.mouse.up()


def for_tests(url):
    """`url` with the query flag that makes the studio page expose its test hooks."""
    return url + ("&" if "?" in url else "?") + "test"


def axe_violations(page):
    """axe-core's violations on the page as it is: rule id → the selectors of the offending elements."""
    page.add_script_tag(content=AXE)
    found = page.evaluate("""async (tags) => {
        const result = await axe.run(document, { runOnly: { type: 'tag', values: tags } });
        return result.violations.map((v) => [v.id, v.nodes.map((n) => n.target.join(' '))]); }""", AXE_RULES)
    return dict(found)
