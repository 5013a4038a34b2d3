"""Live guidance in headless Chromium: a face drawn with real pointer events from a recorded stroke list gets
shadows and a synthesized face; a further stroke changes the face; a slider move makes a new frame; a second
page in the session sees the same face.

Runs the real server with models/default when it exists, else the tiny test export. Screenshots go to
artifacts/guidance/ (ignored by git).
"""
import json
import sys
from pathlib import Path

import pytest

from pages import canvas_to_screen, open_page

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "guidance"))

from guidedserver import ROOT, TINY_MODEL, guided_server, model_path  # noqa: E402

ARTIFACTS = ROOT / "artifacts" / "guidance"
STROKES = json.loads((ROOT / "tests" / "guidance" / "face_strokes.json").read_text())


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = guided_server(tmp_path_factory.mktemp("guidance-browser")).start()
    yield s
    s.stop()




def draw(page, stroke):
    page.evaluate("(w) => { const el = document.getElementById('width'); el.value = w; el.dispatchEvent(new Event('input')); }",
                  stroke["width"])
    points = stroke["points"]
    page.mouse.move(*canvas_to_screen(page, *points[0]))
    page.mouse.down()
    for p in points[1:]:
        page.mouse.move(*canvas_to_screen(page, *p), steps=2)
    page.mouse.up()


def guidance(page):
    return page.evaluate("""() => { const g = window.sketchfaceGuidance;
        return { enabled: g.enabled, busy: g.busy, frames: g.frames, frame: g.frame, shadows: g.shadows }; }""")


def wait_face_current(page, timeout=30000):
    """Waits until every stroke is acknowledged and the face shown reflects the newest operation."""
    page.wait_for_function("window.sketchface.state.pending.length === 0", timeout=timeout)
    page.wait_for_function("""() => { const g = window.sketchfaceGuidance;
        return g.frame && g.frame.seq >= window.sketchface.doc.head && !g.busy; }""", timeout=timeout)
    return guidance(page)


def face_bytes(page):
    return bytes(page.evaluate("window.sketchfaceGuidance.faceBytes()"))


def shadow_ink(page):
    """Number of visibly shaded pixels on the shadow layer."""
    return page.evaluate("""() => { const c = document.getElementById('shadow');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i] > 8) n++; return n; }""")


def test_drawn_face_gets_shadows_and_a_live_face_shared_by_the_session(server, browser):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    session = server.new_session()
    url = f"{server.base}/s/{session}"
    a = open_page(browser, url)

    # The empty canvas already has guidance: five shadows and the default face.
    a.wait_for_function("window.sketchfaceGuidance.frames >= 1 && Object.keys(window.sketchfaceGuidance.shadows).length === 5",
                        timeout=20000)
    first = guidance(a)
    assert first["enabled"] is True
    assert first["frame"]["isDefault"] is True
    a.screenshot(path=str(ARTIFACTS / "1-empty-canvas-default-face.png"))

    # Draw the face from the recorded strokes with real pointer events.
    for stroke in STROKES["strokes"]:
        draw(a, stroke)
    drawn = wait_face_current(a)
    head = a.evaluate("window.sketchface.doc.head")
    assert drawn["frame"]["isDefault"] is False
    assert drawn["frame"]["seq"] == head
    assert all(seq > 0 for seq in drawn["shadows"].values()), f"every component's shadow was refreshed: {drawn['shadows']}"
    a.wait_for_timeout(100)   # shadow bitmaps are drawn on the next animation frame
    assert shadow_ink(a) > 1000, "shadow layer shows shadows"
    face_img = a.evaluate("""() => { const i = document.getElementById('face');
        return { hidden: i.hidden, w: i.naturalWidth, h: i.naturalHeight }; }""")
    assert not face_img["hidden"] and face_img["w"] == face_img["h"] > 0
    face_after_drawing = face_bytes(a)
    a.screenshot(path=str(ARTIFACTS / "2-face-drawn.png"))

    # A further stroke (the eyebrows) changes the face.
    for stroke in STROKES["further"]:
        draw(a, stroke)
    further = wait_face_current(a)
    assert further["frame"]["number"] > drawn["frame"]["number"]
    assert further["frame"]["seq"] > drawn["frame"]["seq"]
    assert face_bytes(a) != face_after_drawing, "the face changed after the further strokes"
    a.screenshot(path=str(ARTIFACTS / "3-after-brows.png"))

    # The sliders are the model's components (from the guidance status message, in manifest order), then master;
    # a component slider sends its manifest name.
    manifest = json.loads((model_path() / "manifest.json").read_text())
    names = [c["name"] for c in manifest["components"]]
    assert a.evaluate("[...document.querySelectorAll('#sliders input[data-slider]')].map((e) => e.dataset.slider)") == names + ["master"]
    a.evaluate(f"""() => {{ const el = document.getElementById('slider-{names[2]}');
        el.value = 0.3; el.dispatchEvent(new Event('input', {{ bubbles: true }})); }}""")
    a.wait_for_function(f"window.sketchface.doc.sliders['{names[2]}'] === 0.3", timeout=20000)
    further = wait_face_current(a)

    # A slider move produces a new frame (from cached latents).
    before_slider = face_bytes(a)
    number = further["frame"]["number"]
    a.evaluate("""() => { const el = document.getElementById('slider-master');
        el.value = 0.05; el.dispatchEvent(new Event('input', { bubbles: true })); }""")
    a.wait_for_function(f"window.sketchfaceGuidance.frame.number > {number}", timeout=20000)
    slid = wait_face_current(a)
    assert face_bytes(a) != before_slider, "the slider changed the face"
    assert a.evaluate("document.querySelector('#slider-master + output').textContent") == "0.05"
    a.screenshot(path=str(ARTIFACTS / "4-after-slider.png"))

    # A second page in the same session sees the same face and all shadows.
    b = open_page(browser, url)
    b.wait_for_function(f"window.sketchfaceGuidance.frame && window.sketchfaceGuidance.frame.seq >= {slid['frame']['seq']}",
                        timeout=20000)
    b.wait_for_function("Object.keys(window.sketchfaceGuidance.shadows).length === 5")
    assert face_bytes(b) == face_bytes(a), "both pages show the same face"
    b.wait_for_timeout(100)
    assert shadow_ink(b) > 1000
    b.screenshot(path=str(ARTIFACTS / "5-second-page.png"))

    # The shadow toggle hides the layer; the download button offers the face.
    a.click("#guidance-shadow")
    assert a.evaluate("getComputedStyle(document.getElementById('shadow')).visibility") == "hidden"
    with a.expect_download() as download:
        a.click("#guidance-download")
    assert download.value.suggested_filename.endswith(".png")
    assert Path(download.value.path()).read_bytes() == face_bytes(a)
    assert not a.errors and not b.errors, a.errors + b.errors
    print(f"model {model_path()}: {slid['frame']['number']} frames for {slid['frame']['seq']} operations")


def test_on_demand_mode_shows_convert_and_waits_for_it(server, browser):
    session = server.new_session()
    page = open_page(browser, f"{server.base}/s/{session}")
    page.wait_for_function("window.sketchfaceGuidance.frames >= 1", timeout=20000)
    page.select_option("#mode", "on_demand")
    page.wait_for_function("!document.getElementById('convert').hidden")
    frames = guidance(page)["frames"]
    draw(page, STROKES["strokes"][2])
    page.wait_for_function("window.sketchface.state.pending.length === 0")
    page.wait_for_function("window.sketchfaceGuidance.shadows[0] > 0", timeout=10000)
    page.wait_for_timeout(300)
    assert guidance(page)["frames"] == frames, "no face without Convert"
    assert page.evaluate("document.getElementById('convert').classList.contains('stale')")
    page.click("#convert")
    current = wait_face_current(page)
    assert current["frames"] == frames + 1
    assert not page.evaluate("document.getElementById('convert').classList.contains('stale')")
    assert not page.errors, page.errors


def test_without_a_model_the_page_says_guidance_is_off_and_drawing_works(browser, tmp_path):
    s = guided_server(tmp_path, model=tmp_path / "no-such-model").start()
    try:
        page = open_page(browser, f"{s.base}/s/{s.new_session()}")
        page.wait_for_function("window.sketchfaceGuidance.enabled === false", timeout=10000)
        notice = page.locator(".guidance-notice")
        assert notice.is_visible()
        assert "Guidance is off" in notice.text_content() and "no-such-model" in notice.text_content()
        draw(page, STROKES["strokes"][0])
        page.wait_for_function("window.sketchface.state.pending.length === 0 && window.sketchface.doc.head >= 3")
        page.wait_for_timeout(200)
        assert guidance(page)["frames"] == 0 and guidance(page)["shadows"] == {}
        page.screenshot(path=str(ARTIFACTS / "6-no-model.png"))
        assert not page.errors, page.errors
    finally:
        s.stop()


def palette_page(browser, url, **kw):
    """A studio page of a version 2 model, once its first face and the model's palette have arrived."""
    page = open_page(browser, url, **kw)
    page.wait_for_function("window.sketchfaceGuidance.frames >= 1 && window.sketchfaceGuidance.palette", timeout=20000)
    return page


def test_appearance_picker_shows_the_palette_and_sets_the_face_for_everyone(browser, tmp_path):
    """A version 2 model (the tiny fixture): one swatch per palette code; a pick is a shared session setting."""
    s = guided_server(tmp_path, model=TINY_MODEL).start()
    try:
        palette = json.loads((TINY_MODEL / "manifest.json").read_text())["appearance"]
        url = f"{s.base}/s/{s.new_session()}"
        a, b = palette_page(browser, url), palette_page(browser, url)
        assert a.locator("#appearance").is_visible()
        assert a.locator("#appearance button[data-appearance]").count() == len(palette["palette"])
        assert a.get_attribute(f"#appearance button[data-appearance='{palette['default']}']", "aria-pressed") == "true"
        for stroke in STROKES["strokes"]:
            draw(a, stroke)
        before = wait_face_current(a)
        face_default = face_bytes(a)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        a.screenshot(path=str(ARTIFACTS / "6-appearance-default.png"))
        pick = (palette["default"] + 1) % len(palette["palette"])
        a.click(f"#appearance button[data-appearance='{pick}']")
        a.wait_for_function(f"window.sketchface.doc.appearance === {pick} && window.sketchfaceGuidance.frame.number > {before['frame']['number']}",
                            timeout=20000)
        wait_face_current(a)
        assert face_bytes(a) != face_default, "another palette code gives another face"
        assert a.get_attribute(f"#appearance button[data-appearance='{pick}']", "aria-pressed") == "true"
        b.wait_for_function(f"window.sketchface.doc.appearance === {pick}", timeout=20000)
        wait_face_current(b)
        assert b.get_attribute(f"#appearance button[data-appearance='{pick}']", "aria-pressed") == "true"
        assert face_bytes(b) == face_bytes(a), "every participant sees the picked appearance"
        a.screenshot(path=str(ARTIFACTS / "7-appearance-picked.png"))
        assert not a.errors and not b.errors, a.errors + b.errors
    finally:
        s.stop()


def candidates_received(page, count, timeout=20000):
    page.wait_for_function(f"""() => {{ const c = window.sketchfaceGuidance.candidates;
        return c && !c.pending && c.received.length === {count}; }}""", timeout=timeout)
    return page.evaluate("window.sketchfaceGuidance.candidates")


def candidate_bytes(page, index):
    return bytes(page.evaluate(f"window.sketchfaceGuidance.candidateBytes({index})"))


def test_candidates_show_the_face_under_several_appearances_and_a_pick_is_shared(browser, tmp_path):
    """Candidates (tiny v2 fixture, three codes): one tile per code, side by side, answered to the asking page only;
    the tile of the session's code is the live face; clicking another sets the appearance for every participant."""
    s = guided_server(tmp_path, model=TINY_MODEL).start()
    try:
        palette = json.loads((TINY_MODEL / "manifest.json").read_text())["appearance"]
        codes = len(palette["palette"])
        url = f"{s.base}/s/{s.new_session()}"
        a, b = palette_page(browser, url), palette_page(browser, url)
        assert a.locator("#candidates").is_visible()
        assert not a.locator(".candidate-tiles").is_visible(), "no tiles before asking"
        for stroke in STROKES["strokes"]:
            draw(a, stroke)
        wait_face_current(a)
        live = face_bytes(a)

        a.click("#candidates")
        shown = candidates_received(a, codes)
        assert shown["indices"] == list(range(codes)), "the first codes of the palette (at most four)"
        assert shown["seq"] == a.evaluate("window.sketchface.doc.head")
        tiles = a.locator(".candidate-tiles .candidate")
        assert tiles.count() == codes
        a.wait_for_function("[...document.querySelectorAll('.candidate img')].every((i) => i.complete && i.naturalWidth > 0)")
        boxes = [tiles.nth(i).bounding_box() for i in range(codes)]
        assert len({round(box["y"]) for box in boxes}) == 1, "side by side in one row"
        assert all(boxes[i]["x"] + boxes[i]["width"] <= boxes[i + 1]["x"] for i in range(codes - 1))
        faces = [candidate_bytes(a, i) for i in range(codes)]
        assert len(set(faces)) == codes, "each appearance gives another face"
        assert faces[palette["default"]] == live, "the session's own appearance is the live face"
        assert a.get_attribute(f".candidate[data-appearance='{palette['default']}']", "aria-pressed") == "true"
        assert b.evaluate("window.sketchfaceGuidance.candidates") is None, "only the asking page gets candidates"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        a.screenshot(path=str(ARTIFACTS / "8-candidates.png"), full_page=True)

        pick = (palette["default"] + 1) % codes
        a.click(f".candidate[data-appearance='{pick}']")
        for page in (a, b):
            page.wait_for_function(f"window.sketchface.doc.appearance === {pick}", timeout=20000)
            wait_face_current(page)
            assert face_bytes(page) == faces[pick], "the picked candidate becomes the face everyone sees"
        assert b.get_attribute(f"#appearance button.swatch[data-appearance='{pick}']", "aria-pressed") == "true"
        assert a.get_attribute(f".candidate[data-appearance='{pick}']", "aria-pressed") == "true"
        b.screenshot(path=str(ARTIFACTS / "9-candidate-picked-second-participant.png"), full_page=True)
        assert a.locator(".candidate-tiles.stale").count() == 0, "picking one does not make them out of date"
        draw(a, STROKES["strokes"][0])
        a.wait_for_selector(".candidate-tiles.stale", timeout=10000)

        phone = palette_page(browser, url, viewport=(390, 844))
        phone.locator("#candidates").scroll_into_view_if_needed()
        phone.click("#candidates")
        candidates_received(phone, codes)
        phone.wait_for_function("[...document.querySelectorAll('.candidate img')].every((i) => i.complete && i.naturalWidth > 0)")
        phone.locator(".candidate-tiles").scroll_into_view_if_needed()
        assert phone.evaluate("document.scrollingElement.scrollWidth") <= 390, "no sideways scrolling on a phone"
        phone_tiles = phone.locator(".candidate-tiles .candidate")
        widths = [phone_tiles.nth(i).bounding_box()["width"] for i in range(codes)]
        assert min(widths) >= 64, widths
        phone.screenshot(path=str(ARTIFACTS / "10-candidates-phone.png"), full_page=True)
        assert not a.errors and not b.errors and not phone.errors, a.errors + b.errors + phone.errors
    finally:
        s.stop()
