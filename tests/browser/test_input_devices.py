"""Touch and pen input on a tablet-sized page: strokes drawn with touch and with a pressure pen reach the server,
and pen pressure sets the line width. Screenshot in artifacts/browser/."""
import pytest
from playwright import sync_api as playwright_api

from pages import for_tests

from sketchserver import ROOT, SketchServer

ARTIFACTS = ROOT / "artifacts" / "browser"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = SketchServer(tmp_path_factory.mktemp("input")).start()
    yield s
    s.stop()


def ink_rows(pgm, x, rows):
    """Rows (of `rows`) with ink (value < 128) in column x."""
    return sum(1 for y in rows if pgm[y * 512 + x] < 128)


def test_touch_and_pen_pressure_draw_on_a_tablet(server):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    session = server.new_session()
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox", "--disable-gpu"])
        context = browser.new_context(viewport={"width": 820, "height": 1180}, device_scale_factor=2, has_touch=True)
        page = context.new_page()
        page.goto(for_tests(f"{server.base}/s/{session}"))
        page.wait_for_function("document.getElementById('connection').dataset.state === 'live'", timeout=10000)
        box = page.locator("#sketch").bounding_box()
        at = lambda x, y: (box["x"] + x / 512 * box["width"], box["y"] + y / 512 * box["height"])
        cdp = context.new_cdp_session(page)

        # A finger drags a horizontal line at y = 100.
        def touch(kind, x, y):
            sx, sy = at(x, y)
            points = [] if kind == "touchEnd" else [{"x": sx, "y": sy}]
            cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})
        touch("touchStart", 100, 100)
        for x in range(110, 420, 10):
            touch("touchMove", x, 100)
        touch("touchEnd", 420, 100)

        # A pen draws two lines, light and firm, at the same nominal width.
        page.fill("#width", "16")
        page.dispatch_event("#width", "input")

        def pen(y, force):
            sx, sy = at(100, y)
            cdp.send("Input.dispatchMouseEvent", {"type": "mousePressed", "x": sx, "y": sy, "button": "left",
                                                  "clickCount": 1, "pointerType": "pen", "force": force})
            for x in range(110, 420, 10):
                sx, sy = at(x, y)
                cdp.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": sx, "y": sy, "button": "left",
                                                      "buttons": 1, "pointerType": "pen", "force": force})
            cdp.send("Input.dispatchMouseEvent", {"type": "mouseReleased", "x": sx, "y": sy, "button": "left",
                                                  "clickCount": 1, "pointerType": "pen", "force": force})
        pen(250, 0.1)
        pen(400, 1.0)
        page.wait_for_function("window.sketchface.outbox.entries.length === 0 && window.sketchface.doc.head >= 9",
                               timeout=5000)
        page.screenshot(path=str(ARTIFACTS / "7-tablet-touch-and-pen.png"))
        pgm = server.sketch_pgm(session)
        column = [pgm[y * 512 + 250] for y in range(512)]
        assert min(column[90:110]) < 64, "the touch stroke reached the server"
        light, firm = ink_rows(pgm, 250, range(200, 300)), ink_rows(pgm, 250, range(350, 450))
        assert light >= 2 and firm >= 2
        assert firm > light * 2, f"a firm pen draws wider than a light one ({firm} vs {light} rows)"
        print(f"touch ok; pen rows light {light}, firm {firm}")
        browser.close()
