"""The web client's identity (issue 10, finding 3): it keeps its token, and recovers from a ref error or a taken
client id under a new identity instead of wedging with strokes stuck as local previews."""
import pytest

from pages import draw, fnv, for_tests, open_page, replica_sha

from sketchserver import SketchServer


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = SketchServer(tmp_path_factory.mktemp("identity")).start()
    yield s
    s.stop()


def ink(pgm, x, y):
    return 255 - pgm[int(y) * 512 + int(x)]


def settled(page):
    page.wait_for_function("window.sketchface.outbox.entries.length === 0 && window.sketchface.state.pending.length === 0",
                           timeout=10000)


def test_the_page_keeps_its_token_and_recovers_from_a_ref_error(server, browser):
    session = server.new_session()
    page = open_page(browser, f"{server.base}/s/{session}")
    assert len(page.evaluate("sessionStorage.getItem('sketchface.token')") or "") == 22
    draw(page, [(100, 100), (400, 100)])
    settled(page)
    before = page.evaluate("sessionStorage.getItem('sketchface.client')")
    # The wedge of the report: the client's next ref is out of the server's range.
    page.evaluate("window.sketchface.outbox.nextRef = 2147483000")
    draw(page, [(100, 300), (400, 300)])
    settled(page)
    assert page.evaluate("sessionStorage.getItem('sketchface.client')") != before, "carried on under a new id"
    pgm = server.sketch_pgm(session)
    assert ink(pgm, 250, 300) > 128, "the stroke drawn with out-of-range refs reached the server"
    assert replica_sha(page)[0] == fnv(pgm)
    assert not page.errors, page.errors


def test_a_page_claiming_another_participants_id_carries_on_under_its_own(server, browser):
    session = server.new_session()
    owner = open_page(browser, f"{server.base}/s/{session}")
    owner_id = owner.evaluate("sessionStorage.getItem('sketchface.client')")
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    context.add_init_script(f"sessionStorage.setItem('sketchface.client', '{owner_id}')")
    copy = context.new_page()
    copy.goto(for_tests(f"{server.base}/s/{session}"))   # test hooks (window.sketchface) only with ?test
    copy.wait_for_function("document.getElementById('connection').dataset.state === 'live'", timeout=10000)
    assert copy.evaluate("sessionStorage.getItem('sketchface.client')") != owner_id, "refused with 4403, rejoined as itself"
    copy.errors = []
    draw(copy, [(100, 200), (400, 200)])
    settled(copy)
    assert ink(server.sketch_pgm(session), 250, 200) > 128
    owner.wait_for_function("window.sketchface.state.participants.length === 2", timeout=5000)
