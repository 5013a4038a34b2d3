"""The studio page while the server is away: it says the truth (drawing goes on and will sync, the face is out of
date, nobody's presence is known) and comes back quickly once the server does. Screenshots in artifacts/browser/."""
import sys
import time
from pathlib import Path

from pages import draw, open_page

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "guidance"))

from guidedserver import ROOT, TINY_MODEL, guided_server  # noqa: E402

ARTIFACTS = ROOT / "artifacts" / "browser"
OFFLINE = "offline — your strokes are kept and will sync"



def test_retry_delay_is_capped_at_two_seconds_while_visible(browser):
    """retryDelay with an injected random(): doubling from 250 ms, jittered to 50–100 %, never past 2 s while the
    page is visible (10 s hidden)."""
    page = browser.new_page()
    source = (ROOT / "web" / "js" / "connection.js").read_text()
    function = source[source.index("const RETRY_FIRST_MS"):source.index("export class SessionSocket")].replace("export ", "")
    result = page.evaluate("() => {" + function + """
        const top = () => 1, bottom = () => 0;
        return { top: [...Array(12).keys()].map((n) => retryDelay(n, true, top)),
                 bottom: [...Array(12).keys()].map((n) => retryDelay(n, true, bottom)),
                 hidden: retryDelay(11, false, top) }; }""")
    assert result["top"][:4] == [250, 500, 1000, 2000]
    assert max(result["top"]) == 2000 and min(result["bottom"]) == 125
    assert result["bottom"][-1] == 1000, "jitter spreads the retries of many pages over 1–2 s"
    assert result["hidden"] == 10000


def test_offline_page_keeps_drawing_marks_face_and_presence_stale_and_reconnects_within_3_s(browser, tmp_path):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    s = guided_server(tmp_path, model=TINY_MODEL).start()
    try:
        url = f"{s.base}/s/{s.new_session()}"
        a = open_page(browser, url)
        b = open_page(browser, url)
        a.wait_for_function("document.querySelectorAll('#participants li').length === 2")
        a.wait_for_function("window.sketchfaceGuidance.frames >= 1", timeout=20000)
        assert a.locator("#face-stale").is_hidden()
        assert a.evaluate("getComputedStyle(document.querySelector('#participants li')).color") == "rgb(29, 29, 31)"

        s.kill9()
        for page in (a, b):
            page.wait_for_function("document.getElementById('connection').dataset.state === 'reconnecting'", timeout=5000)
        banner = a.locator("#connection")
        assert banner.inner_text().startswith(OFFLINE)
        assert a.evaluate("getComputedStyle(document.getElementById('sketch')).cursor") == "crosshair", \
            "drawing works offline, so the cursor does not say it is not allowed"
        assert a.locator("#face-stale").is_visible()
        assert a.locator("#face-stale").inner_text() == "Out of date while offline"
        greyed = a.evaluate("""[...document.querySelectorAll('#participants li')].map((li) => {
            const dot = getComputedStyle(li, '::before'); return [getComputedStyle(li).color, dot.filter, Number(dot.opacity)]; })""")
        assert all(colour == "rgb(110, 110, 115)" and "grayscale" in filt and opacity <= 0.5 for colour, filt, opacity in greyed), greyed
        # The countdown to the next try is shown.
        a.wait_for_function(f"/^{OFFLINE} · retrying in [12] s$/.test(document.getElementById('connection').textContent)",
                            timeout=5000)

        # Drawn offline: shown at once, kept in the outbox.
        draw(a, [(100, 300), (400, 300)])
        assert a.evaluate("window.sketchface.outbox.entries.length") >= 3
        a.screenshot(path=str(ARTIFACTS / "offline-banner.png"))

        # Scheduled retries wait at most 2 s; `online` retries at once instead of waiting for the timer.
        a.wait_for_function("window.sketchface.socket.retries.filter((r) => r.reason === 'timer').length >= 4", timeout=8000)
        delays = a.evaluate("window.sketchface.socket.retries.filter((r) => r.reason === 'timer').map((r) => r.delay)")
        assert max(delays) <= 2000, delays
        a.wait_for_function("window.sketchface.socket.timer !== null")
        retried = a.evaluate("""() => { const socket = window.sketchface.socket; const before = socket.retries.length;
            window.dispatchEvent(new Event('online'));
            return { added: socket.retries.slice(before), timer: socket.timer }; }""")
        assert retried == {"added": [{"delay": 0, "reason": "online"}], "timer": None}, retried
        a.wait_for_function("window.sketchface.socket.timer !== null")
        retried = a.evaluate("""() => { const socket = window.sketchface.socket; const before = socket.retries.length;
            document.dispatchEvent(new Event('visibilitychange'));
            return { added: socket.retries.slice(before), timer: socket.timer }; }""")
        assert retried == {"added": [{"delay": 0, "reason": "visible"}], "timer": None}, retried

        s.restart()
        back = time.perf_counter()
        for page in (a, b):
            page.wait_for_function("document.getElementById('connection').dataset.state === 'live'", timeout=3000)
        elapsed = time.perf_counter() - back
        assert elapsed <= 3.0, f"both pages were live {elapsed:.1f} s after the server returned"
        assert banner.inner_text() == "Live"
        assert a.locator("#face-stale").is_hidden()
        a.wait_for_function("window.sketchface.outbox.entries.length === 0", timeout=5000)
        pgm = s.sketch_pgm(a.url.split("/s/")[1].split("?")[0])
        assert pgm[300 * 512 + 250] < 128, "the stroke drawn offline reached the server"
        a.screenshot(path=str(ARTIFACTS / "offline-back.png"))
        assert not a.errors and not b.errors, a.errors + b.errors
        print(f"live again {elapsed:.2f} s after the restart; retry delays {[round(d) for d in delays]}")
    finally:
        s.stop()
