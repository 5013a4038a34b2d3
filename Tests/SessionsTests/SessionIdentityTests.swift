import XCTest
import Raster
@testable import Sessions

/// Participant identity (issue 10, finding 3) and bounded strings (finding 5).
final class SessionIdentityTests: XCTestCase {
    private func hello(_ client: String, token: String? = nil, name: String = "Eve") -> String {
        var text = "{\"type\":\"hello\",\"version\":1,\"client\":\"\(client)\",\"name\":\"\(name)\""
        if let token { text += ",\"token\":\"\(token)\"" }
        return text + "}"
    }

    func testFirstWelcomeIssuesATokenAndRejoiningWithItKeepsTheUndoHistory() {
        let f = Fixture()
        let (a, pa) = f.join("client-aaaa")
        let token = pa.of(type: "welcome").first?["token"] as? String
        XCTAssertEqual(token?.count, 22)
        a.draw(id: 1, [(100, 100), (200, 200)], ref: 10)
        a.disconnected()
        let (a2, pa2) = f.join("client-aaaa")
        XCTAssertEqual(pa2.of(type: "welcome").first?["lastRef"] as? Int, 12)
        a2.receive(text: #"{"type":"undo"}"#)
        XCTAssertEqual(pa2.ops.last?["kind"] as? String, "undo")
    }

    func testAnotherConnectionCannotTakeOverAClientIdWithoutItsToken() {
        let f = Fixture()
        let (a, pa) = f.join("client-aaaa")
        a.draw(id: 1, [(100, 100), (200, 200)])
        let (_, pb) = f.join("client-bbbb")
        for forged in [nil, "AAAAAAAAAAAAAAAAAAAAAA"] {
            let peer = TestPeer()
            let thief = f.hub.connect(to: f.id, peer: peer)!
            thief.receive(text: hello("client-aaaa", token: forged))
            XCTAssertEqual(peer.errors.last?["code"] as? String, "client_taken")
            XCTAssertEqual(peer.closed?.code, 4403)
            thief.receive(text: #"{"type":"undo"}"#)
            thief.receive(text: #"{"type":"clear","ref":2147483647}"#)
        }
        XCTAssertEqual(pb.ops.count, 0, "nothing was undone or cleared in the victim's name")
        XCTAssertEqual(pa.ops.count, 3)
        a.receive(text: #"{"type":"stroke.begin","id":2,"tool":"pen","width":4,"ref":4}"#)
        XCTAssertEqual(pa.ops.last?["ref"] as? Int, 4, "the victim's numbering is intact")
    }

    func testTheTokenSurvivesARestart() throws {
        let f = Fixture()
        let (a, _) = f.join("client-aaaa")
        a.draw(id: 1, [(100, 100), (200, 200)])
        let restored = SessionHub(store: f.store, clock: { f.clock.now })
        _ = try restored.restore()
        let peer = TestPeer()
        restored.connect(to: f.id, peer: peer)!.receive(text: hello("client-aaaa"))
        XCTAssertEqual(peer.closed?.code, 4403)
        let owner = TestPeer()
        restored.connect(to: f.id, peer: owner)!.receive(text: hello("client-aaaa", token: f.jar.tokens["client-aaaa"]))
        XCTAssertEqual(owner.of(type: "welcome").count, 1)
    }

    func testOneMessageCannotPushTheClientsRefsOutOfRange() {
        let f = Fixture()
        let (a, pa) = f.join("client-aaaa")
        a.receive(text: #"{"type":"stroke.begin","id":1,"tool":"pen","width":4,"ref":2147483647}"#)
        XCTAssertEqual(pa.errors.last?["field"] as? String, "ref")
        XCTAssertEqual(pa.ops.count, 0)
        a.receive(text: #"{"type":"stroke.begin","id":1,"tool":"pen","width":4,"ref":1}"#)
        XCTAssertEqual(pa.ops.last?["ref"] as? Int, 1)
    }

    // MARK: Strings

    /// A fresh session's answer to one `hello` carrying `name`.
    private func helloAnswer(name: String) -> TestPeer {
        let f = Fixture()
        let peer = TestPeer()
        let c = f.hub.connect(to: f.id, peer: peer)!
        let data = try! JSONSerialization.data(withJSONObject: ["type": "hello", "version": 1, "client": "client-eeee", "name": name])
        c.receive(text: String(decoding: data, as: UTF8.self))
        return peer
    }

    private func nameRefused(_ name: String, file: StaticString = #filePath, line: UInt = #line) {
        let peer = helloAnswer(name: name)
        XCTAssertEqual(peer.errors.last?["field"] as? String, "name", file: file, line: line)
        XCTAssertTrue(peer.of(type: "welcome").isEmpty, file: file, line: line)
    }

    private func nameAccepted(_ name: String, file: StaticString = #filePath, line: UInt = #line) {
        let peer = helloAnswer(name: name)
        XCTAssertEqual(peer.of(type: "welcome").count, 1, file: file, line: line)
    }

    func testOneGraphemeOfThreeHundredThousandScalarsIsRefused() {
        nameRefused("Z" + String(repeating: "\u{0301}", count: 300_000))
        nameRefused("Z" + String(repeating: "\u{0301}", count: 40))
    }

    func testNamesAreBoundedInScalarsAndBytes() {
        nameAccepted(String(repeating: "a", count: 40))
        nameRefused(String(repeating: "a", count: 41))
        nameAccepted(String(repeating: "😀", count: 40))   // 160 bytes
        nameRefused(String(repeating: "😀", count: 41))
        nameAccepted("Zoë Ångström")
    }

    func testControlBidiBOMAndSeparatorsAreRefusedInNames() {
        for scalar in ["\u{07}", "\u{7F}", "\u{85}", "\u{9F}", "\u{202E}", "\u{202A}", "\u{2066}", "\u{2069}", "\u{200F}",
                       "\u{FEFF}", "\u{2028}", "\u{2029}", "\n"] {
            nameRefused("Ann" + scalar + "x")
        }
    }

    func testPresenceOfAFullSessionOfLongestNamesStaysSmall() {
        let f = Fixture()
        var peers = [TestPeer]()
        for i in 0..<f.hub.config.maxParticipants {
            let peer = TestPeer()
            let c = f.hub.connect(to: f.id, peer: peer)!
            let name = String(repeating: "😀", count: 40)
            let data = try! JSONSerialization.data(withJSONObject: ["type": "hello", "version": 1, "client": "client-\(1000 + i)", "name": name])
            c.receive(text: String(decoding: data, as: UTF8.self))
            peers.append(peer)
        }
        let largest = peers[0].texts.filter { $0.hasPrefix("{\"type\":\"presence\"") }.map(\.utf8.count).max() ?? 0
        XCTAssertGreaterThan(largest, 16 * 160)
        XCTAssertLessThan(largest, 8 * 1024, "16 participants' presence is a few KiB, never megabytes")
    }
}
