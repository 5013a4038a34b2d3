"""Studio controls keep their shape at desktop and phone sizes: in On-demand mode "Synthesis", its dropdown and
the Convert button share one row without wrapping, and the shadow Opacity slider is wide enough to use (a click
at a quarter of its track sets about a quarter). Bounding boxes, not only screenshots (artifacts/browser/)."""
import sys
from pathlib import Path

import pytest

from pages import open_page

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "guidance"))

from guidedserver import ROOT, TINY_MODEL, guided_server  # noqa: E402

ARTIFACTS = ROOT / "artifacts" / "browser"
SIZES = {"desktop": (1200, 800), "phone": (390, 844)}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = guided_server(tmp_path_factory.mktemp("layout"), model=TINY_MODEL).start()
    yield s
    s.stop()


def text_lines(page, selector):
    """Line boxes of the first text node of `selector` (one when it does not wrap) and their union."""
    return page.evaluate("""(selector) => {
        const node = [...document.querySelector(selector).childNodes].find((n) => n.nodeType === 3 && n.textContent.trim());
        const range = document.createRange(); range.selectNodeContents(node);
        const rects = [...range.getClientRects()].filter((r) => r.width > 0);
        return rects.map((r) => ({ x: r.x, y: r.y, width: r.width, height: r.height }));
    }""", selector)


def middle(box):
    return box["y"] + box["height"] / 2


@pytest.mark.parametrize("size", SIZES)
def test_on_demand_row_and_opacity_slider_keep_their_shape(server, browser, size):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    width, height = SIZES[size]
    page = open_page(browser, f"{server.base}/s/{server.new_session()}", viewport=SIZES[size])
    page.wait_for_function("window.sketchfaceGuidance.frames >= 1", timeout=20000)
    page.select_option("#mode", "on_demand")
    page.wait_for_function("!document.getElementById('convert').hidden")
    page.wait_for_function("window.sketchface.doc.mode === 'on_demand'")
    # A stroke makes the face out of date: Convert gets its " •" mark, the widest it becomes.
    page.evaluate("window.sketchface.outbox.submit({ type: 'stroke.begin', id: 99, tool: 'pen', width: 4 })")
    page.evaluate("window.sketchface.outbox.submit({ type: 'stroke.points', id: 99, points: [{ x: 200, y: 200, p: 1 }, { x: 300, y: 220, p: 1 }] })")
    page.evaluate("window.sketchface.outbox.submit({ type: 'stroke.end', id: 99 })")
    page.wait_for_selector("#convert.stale")

    page.locator(".mode").scroll_into_view_if_needed()
    lines = text_lines(page, ".mode label")
    select = page.locator("#mode").bounding_box()
    convert = page.locator("#convert").bounding_box()
    panel = page.locator("#face-panel").bounding_box()
    assert len(lines) == 1, f"'Synthesis' is one line: {lines}"
    assert abs(middle(lines[0]) - middle(select)) <= 4, "'Synthesis' sits beside its dropdown, not above it"
    assert lines[0]["x"] + lines[0]["width"] <= select["x"]
    assert convert["height"] <= 40, f"Convert • is one line: {convert}"
    assert abs(middle(convert) - middle(select)) <= 4, "Convert is on the dropdown's row"
    assert select["x"] + select["width"] <= convert["x"]
    assert convert["x"] + convert["width"] <= panel["x"] + panel["width"] + 0.5
    assert convert["x"] + convert["width"] <= width

    opacity = page.locator("#guidance-opacity")
    opacity.scroll_into_view_if_needed()
    track = opacity.bounding_box()
    assert track["width"] >= 120, f"the Opacity slider is wide enough to use: {track}"
    assert track["x"] >= 0 and track["x"] + track["width"] <= width
    page.mouse.click(track["x"] + track["width"] * 0.25, track["y"] + track["height"] / 2)
    value = float(opacity.input_value())
    assert 0.1 <= value <= 0.4, f"a click at a quarter of the track sets about a quarter: {value}"
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width, "no sideways scrolling"
    page.screenshot(path=str(ARTIFACTS / f"layout-{size}.png"), full_page=True)
    assert not page.errors, page.errors
