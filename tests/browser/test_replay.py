"""The replay view (/s/<id>/replay): read-only, plays the session's strokes in order in each author's colour,
scrubs to any operation, changes speed, exports a WebM video. Screenshots in artifacts/browser/."""
import json
import sys
import urllib.request
from pathlib import Path

import pytest

from pages import axe_violations, draw, for_tests, open_page

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "guidance"))

from guidedserver import ROOT, TINY_MODEL, guided_server  # noqa: E402
from sketchserver import SketchServer  # noqa: E402

ARTIFACTS = ROOT / "artifacts" / "browser"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = SketchServer(tmp_path_factory.mktemp("replay"), sessions={"snapshot_page_bytes": 1024}).start()
    yield s
    s.stop()



def open_replay(browser, url):
    page = browser.new_context(viewport={"width": 1000, "height": 900}, accept_downloads=True).new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.sockets = []
    page.on("websocket", lambda ws: page.sockets.append(ws.url))
    page.goto(for_tests(url))
    page.wait_for_function("window.sketchfaceReplay && window.sketchfaceReplay.length > 0 && !document.getElementById('play').disabled")
    return page


def seek(page, position):
    page.evaluate("""(n) => { const s = document.getElementById('scrubber'); s.value = n;
        s.dispatchEvent(new Event('input', { bubbles: true })); }""", position)


def ink(pixel):
    return pixel[3] > 128


def test_history_route_pages_the_op_log(server):
    session = server.new_session()
    with urllib.request.urlopen(f"{server.base}/s/{session}/history?after=0") as r:
        assert r.headers["Content-Type"] == "application/json"
        assert r.headers["X-Sketchface-Undo-Reach"] == "4000000", "the replay replica bakes as the server does"
        assert json.loads(r.read()) == {"type": "snapshot", "after": 0, "more": False, "ops": []}
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{server.base}/s/AAAAAAAAAAAAAAAAAAAAAA/history")
    assert refused.value.code == 404


def test_replay_plays_scrubs_and_exports_with_author_colours(server, browser):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    session = server.new_session()
    url = f"{server.base}/s/{session}"
    a = open_page(browser, url)
    b = open_page(browser, url)
    draw(a, [(60, 150), (250, 140), (450, 160)])
    a.wait_for_function("window.sketchface.outbox.entries.length === 0")
    first = a.evaluate("window.sketchface.doc.head")
    draw(b, [(60, 350), (250, 360), (450, 340)])
    b.wait_for_function("window.sketchface.outbox.entries.length === 0")
    head = b.evaluate("window.sketchface.doc.head")
    assert a.get_attribute("#replay-link", "href") == f"/s/{session}/replay"

    page = open_replay(browser, url + "/replay")
    replay = "window.sketchfaceReplay"
    assert page.evaluate(f"{replay}.length") == head, "the whole history, over several pages"
    assert page.evaluate(f"{replay}.position") == 0
    assert page.sockets == [], "the replay is read-only: it never joins the session"
    authors = page.evaluate(f"{replay}.authors()")
    assert len(authors) == 2 and len({tuple(c) for c in authors.values()}) == 2, authors
    assert page.locator("#authors li").count() == 2
    assert axe_violations(page) == {}
    page.wait_for_function(f"{replay}.facesDone")
    assert page.locator("#replay-face-box").is_hidden(), "no model: the replay shows strokes only"

    # Play at 8× to the end: both strokes, each in its author's colour.
    page.select_option("#speed", "8")
    assert page.evaluate(f"{replay}.speed") == 8
    page.click("#play")
    page.wait_for_function(f"{replay}.position === {head} && !{replay}.playing", timeout=10000)
    top, bottom = page.evaluate(f"[{replay}.pixel(250, 140), {replay}.pixel(250, 360)]")
    assert ink(top) and ink(bottom)
    # (The studio's replica keeps only its undo window as ops, so the authors are the pages' client ids.)
    client_id = "sessionStorage.getItem('sketchface.client')"
    a_colour, b_colour = authors[a.evaluate(client_id)], authors[b.evaluate(client_id)]
    assert top[:3] == a_colour and bottom[:3] == b_colour, (top, bottom, authors)
    assert page.locator("#position").inner_text() == f"operation {head} of {head}"
    page.screenshot(path=str(ARTIFACTS / "replay-end.png"))

    # Scrub to just after the first stroke: only it is there.
    seek(page, first)
    assert page.evaluate(f"{replay}.position") == first
    top, bottom = page.evaluate(f"[{replay}.pixel(250, 140), {replay}.pixel(250, 360)]")
    assert ink(top) and not ink(bottom)
    seek(page, 0)
    assert not ink(page.evaluate(f"{replay}.pixel(250, 140)"))
    page.screenshot(path=str(ARTIFACTS / "replay-scrubbed.png"))

    # Export: the replay from the start as a WebM video.
    with page.expect_download(timeout=20000) as download:
        page.click("#export")
    data = open(download.value.path(), "rb").read()
    assert download.value.suggested_filename == f"sketchface-replay-{session}.webm"
    assert data[:4] == b"\x1a\x45\xdf\xa3" and len(data) > 1000, "a WebM (EBML) file"
    assert not page.errors and not a.errors and not b.errors, page.errors + a.errors + b.errors


def test_replay_shows_the_face_as_it_evolved_at_keyframes(browser, tmp_path):
    """With a model (the tiny fixture) the server synthesises the face at a few keyframes; the replay shows the
    newest keyframe at or before the position, and none before the first."""
    s = guided_server(tmp_path, model=TINY_MODEL).start()
    try:
        session = s.new_session()
        a = open_page(browser, f"{s.base}/s/{session}")
        for y in (150, 250, 350):
            draw(a, [(100, y), (400, y + 10)])
        a.wait_for_function("window.sketchface.outbox.entries.length === 0")
        with urllib.request.urlopen(f"{s.base}/s/{session}/history?after=0") as r:
            ends = [op["seq"] for op in json.loads(r.read())["ops"] if op["kind"] == "stroke.end"]
        page = open_replay(browser, f"{s.base}/s/{session}/replay")
        replay = "window.sketchfaceReplay"
        page.wait_for_function(f"{replay}.facesDone", timeout=30000)
        assert sorted(page.evaluate(f"{replay}.keyframes()")) == ends
        with urllib.request.urlopen(f"{s.base}/replay-face/{session}?seq={ends[0]}") as r:
            assert r.headers["Content-Type"] == "image/png" and r.headers["X-Sketchface-Seq"] == str(ends[0])
            assert r.read()[:8] == b"\x89PNG\r\n\x1a\n"

        assert page.evaluate(f"{replay}.faceShown") is None, "before the first stroke ends there is no face"
        assert page.locator("#replay-face-caption").inner_text() == "No face yet"
        seek(page, ends[1])
        assert page.evaluate(f"{replay}.faceShown") == str(ends[1])
        seek(page, ends[1] + 1)
        assert page.evaluate(f"{replay}.faceShown") == str(ends[1]), "the newest keyframe at or before the position"
        page.select_option("#speed", "8")
        page.click("#play")
        page.wait_for_function(f"{replay}.position === {replay}.length && !{replay}.playing", timeout=10000)
        assert page.evaluate(f"{replay}.faceShown") == str(ends[-1])
        page.wait_for_function("document.getElementById('replay-face').complete && document.getElementById('replay-face').naturalWidth > 0")
        assert page.locator("#replay-face-caption").inner_text() == f"Face after operation {ends[-1]}"
        page.screenshot(path=str(ARTIFACTS / "replay-faces.png"))
        assert axe_violations(page) == {}
        phone = browser.new_page(viewport={"width": 390, "height": 844})
        phone.goto(for_tests(f"{s.base}/s/{session}/replay"))
        phone.wait_for_function("window.sketchfaceReplay && window.sketchfaceReplay.facesDone", timeout=30000)
        assert phone.evaluate("document.scrollingElement.scrollWidth") <= 390, "no sideways scrolling on a phone"
        scrubber = phone.locator("#scrubber").bounding_box()
        assert scrubber["width"] >= 120 and scrubber["x"] + scrubber["width"] <= 390, scrubber
        phone.screenshot(path=str(ARTIFACTS / "replay-phone.png"), full_page=True)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{s.base}/replay-face/AAAAAAAAAAAAAAAAAAAAAA?seq=1")
        assert refused.value.code == 404
        assert not page.errors and not a.errors, page.errors + a.errors
    finally:
        s.stop()
