"""Two headless Chromium pages co-sketch one session: live strokes, reload, undo, exact replicas.

Screenshots go to artifacts/browser/ (ignored by git).
"""
import hashlib
import time
from pathlib import Path

import pytest

from pages import canvas_to_screen, draw, fnv, open_page, replica_sha

from sketchserver import ROOT, SketchServer

ARTIFACTS = ROOT / "artifacts" / "browser"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # Small snapshot pages so reloading exercises the paged history.
    s = SketchServer(tmp_path_factory.mktemp("browser"), sessions={"snapshot_page_bytes": 1024}).start()
    yield s
    s.stop()


def ink_at(page, x, y):
    """Alpha of the visible sketch canvas at canvas point (x, y): ink is opaque black."""
    return page.evaluate(
        """([x, y]) => {
            const c = document.getElementById('sketch');
            const px = c.getContext('2d').getImageData(Math.floor(x / 512 * c.width), Math.floor(y / 512 * c.height), 1, 1).data;
            return px[3];
        }""", [x, y])


def wait_ink(page, x, y, present, timeout_ms):
    start = time.perf_counter()
    while (time.perf_counter() - start) * 1000 < timeout_ms:
        if (ink_at(page, x, y) > 128) == present:
            return (time.perf_counter() - start) * 1000
        page.wait_for_timeout(10)
    return None


def test_two_pages_cosketch_live(server, browser):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    session = server.new_session()
    url = f"{server.base}/s/{session}"
    a = open_page(browser, url)
    b = open_page(browser, url)
    a.wait_for_function("document.querySelectorAll('#participants li').length === 2")

    # A draws with real pointer events (mouse); B must show the ink within 500 ms of pen-up.
    draw(a, [(100, 250), (200, 240), (300, 260), (400, 250)])
    latency = wait_ink(b, 250, 250, True, 500)
    assert latency is not None, "B did not show A's stroke within 500 ms"
    assert ink_at(b, 250, 150) < 10, "paper stays blank away from the stroke"
    b.wait_for_selector("#cursors .cursor.visible", timeout=2000)   # A's pointer is shown on B, with A's name
    assert b.locator("#cursors .cursor.visible .label").inner_text() == a.input_value("#name")
    a.screenshot(path=str(ARTIFACTS / "1-a-drew.png"))
    b.screenshot(path=str(ARTIFACTS / "2-b-sees.png"))

    # Both replicas equal the server's raster byte for byte.
    b.wait_for_function(f"window.sketchface.doc.head >= 3")
    pgm = server.sketch_pgm(session)
    assert replica_sha(a)[0] == fnv(pgm)
    assert replica_sha(b)[0] == fnv(pgm)

    # Export PNG gives exactly the shared sketch.
    with a.expect_download() as download:
        a.click("#export")
    from PIL import Image
    exported = Image.open(download.value.path())
    assert exported.size == (512, 512)
    assert exported.convert("L").tobytes() == pgm

    # B reloads and gets the same canvas.
    b.reload()
    b.wait_for_function("document.getElementById('connection').dataset.state === 'live'", timeout=10000)
    assert wait_ink(b, 250, 250, True, 2000) is not None
    assert b.evaluate("window.sketchface.state.snapshotPages") >= 1, "the history came in pages"
    assert replica_sha(b)[0] == fnv(server.sketch_pgm(session))
    b.screenshot(path=str(ARTIFACTS / "3-b-reloaded.png"))

    # Undo on A removes the stroke on B.
    a.keyboard.press("Control+z")
    assert wait_ink(b, 250, 250, False, 1000) is not None, "undo on A did not clear the stroke on B"
    assert replica_sha(b)[0] == fnv(server.sketch_pgm(session)) == fnv(b"\xff" * 512 * 512)
    b.screenshot(path=str(ARTIFACTS / "4-b-after-undo.png"))
    assert not a.errors and not b.errors, a.errors + b.errors
    print(f"stroke visible on B {latency:.0f} ms after pen-up")


def test_landing_page_button_posts_and_opens_a_new_session(server, browser):
    page = browser.new_page()
    page.goto(server.base + "/")
    with page.expect_navigation():
        page.click("text=New sketch")
    assert "/s/" in page.url and len(page.url.rsplit("/", 1)[1]) == 22
    page.wait_for_selector("#sketch")
    # The same URL fetched with GET (a link, a prefetch, an <img>) creates nothing: it offers the button.
    response = page.goto(server.base + "/new")
    assert response.status == 200 and "/s/" not in page.url
    with page.expect_navigation():
        page.click("text=Start a new sketch")
    assert "/s/" in page.url


def test_unknown_session_page_is_404(server, browser):
    page = browser.new_page()
    response = page.goto(f"{server.base}/s/AAAAAAAAAAAAAAAAAAAAAA")
    assert response.status == 404
    assert "not found" in page.content().lower()


def test_raster_port_matches_swift_reference(browser):
    """web/js/raster.js reproduces RasterTests' reference checksum (the same bytes as the Swift rasteriser)."""
    page = browser.new_page()
    source = (ROOT / "web" / "js" / "raster.js").read_text().replace("export ", "")
    checksum = page.evaluate("() => {" + source + """
        const px = newCanvas();
        const pts = [];
        for (let i = 0; i < 30; i++) pts.push({ x: 1600 + i * 170, y: 4000 + (i % 5) * 300 - i * 20, p: (i * 37) % 256 });
        paint(px, pts, null, quantizeWidth(7.5), 'pen');
        paint(px, [quantizePoint(120, 300, 1), quantizePoint(400, 310, 0.5)], null, quantizeWidth(20), 'eraser');
        return checksum(px);
    }""")
    assert checksum == 558086462


def server_ink(pgm, x, y):
    return 255 - pgm[int(y) * 512 + int(x)]


def test_page_reconnects_after_a_server_restart_and_loses_nothing(browser, tmp_path):
    s = SketchServer(tmp_path).start()
    try:
        session = s.new_session()
        page = open_page(browser, f"{s.base}/s/{session}")
        draw(page, [(100, 100), (400, 120)])
        page.wait_for_function("window.sketchface.state.acked >= 3")   # begin, points, end all durable
        # A stroke that spans the outage, and one drawn entirely while the server is down.
        page.mouse.move(*canvas_to_screen(page, 100, 450))
        page.mouse.down()
        page.mouse.move(*canvas_to_screen(page, 250, 450), steps=5)
        page.wait_for_timeout(100)
        s.kill9()
        page.wait_for_function("document.getElementById('connection').dataset.state === 'reconnecting'", timeout=5000)
        page.mouse.move(*canvas_to_screen(page, 400, 450), steps=5)
        page.screenshot(path=str(ARTIFACTS / "5-reconnecting.png"))
        s.restart()
        page.wait_for_function("document.getElementById('connection').dataset.state === 'live'", timeout=15000)
        page.mouse.move(*canvas_to_screen(page, 450, 450), steps=5)
        page.mouse.up()
        page.wait_for_function("window.sketchface.outbox.entries.length === 0", timeout=5000)
        pgm = s.sketch_pgm(session)
        assert server_ink(pgm, 250, 110) > 128, "the stroke acknowledged before the crash survived"
        for x in (150, 300, 420):
            assert server_ink(pgm, x, 450) > 128, f"the stroke drawn across the outage reached the server at x={x}"
        assert replica_sha(page)[0] == fnv(pgm)
        draw(page, [(100, 300), (400, 320)])
        assert wait_ink(page, 250, 310, True, 1000) is not None
        page.wait_for_function("window.sketchface.state.pending.length === 0")
        assert replica_sha(page)[0] == fnv(s.sketch_pgm(session))
        page.screenshot(path=str(ARTIFACTS / "6-after-restart.png"))
        assert not page.errors, page.errors
    finally:
        s.stop()
