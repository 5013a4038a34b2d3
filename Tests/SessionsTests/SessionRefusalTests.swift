import XCTest
import Raster
@testable import Sessions

final class SessionRefusalTests: XCTestCase {
    private func refuse(_ text: String, code: String, field: String?, sliderNames: Set<String>? = Fixture.components,
                        file: StaticString = #filePath, line: UInt = #line) {
        let f = Fixture(sliderNames: sliderNames)
        let (a, pa) = f.join("client-aaaa")
        let (_, pb) = f.join("client-bbbb")
        a.receive(text: #"{"type":"stroke.begin","id":1,"tool":"pen","width":4}"#)
        let othersBefore = pb.texts.count, stored = f.store.count(f.id)
        a.receive(text: text)
        let error = pa.errors.last
        XCTAssertEqual(error?["code"] as? String, code, file: file, line: line)
        XCTAssertEqual(error?["field"] as? String, field, file: file, line: line)
        XCTAssertEqual(pb.texts.count, othersBefore, "nothing reaches others", file: file, line: line)
        XCTAssertEqual(f.store.count(f.id), stored, "nothing reaches the database", file: file, line: line)
        XCTAssertNil(pa.closed, file: file, line: line)
    }

    func testBadJSONIsRefused() { refuse("{\"type\":", code: "bad_json", field: nil) }
    func testNonObjectIsRefused() { refuse("[1,2]", code: "bad_json", field: nil) }
    func testNaNLiteralIsRefusedAsBadJSON() {
        refuse(#"{"type":"stroke.points","id":1,"points":[{"x":NaN,"y":1}]}"#, code: "bad_json", field: nil)
    }
    func testUnknownTypeIsRefusedNamingType() { refuse(#"{"type":"explode"}"#, code: "unknown_type", field: "type") }
    func testMissingTypeIsRefused() { refuse(#"{"id":1}"#, code: "invalid", field: "type") }
    func testOutOfCanvasPointNamesItsIndexAndAxis() {
        refuse(#"{"type":"stroke.points","id":1,"points":[{"x":1,"y":1},{"x":2,"y":2},{"x":3,"y":3},{"x":600,"y":3}]}"#,
               code: "invalid", field: "points[3].x")
    }
    func testNegativeCoordinateIsRefused() {
        refuse(#"{"type":"stroke.points","id":1,"points":[{"x":1,"y":-0.5}]}"#, code: "invalid", field: "points[0].y")
    }
    func testStringNaNCoordinateIsRefused() {
        refuse(#"{"type":"stroke.points","id":1,"points":[{"x":"NaN","y":1}]}"#, code: "invalid", field: "points[0].x")
    }
    func testBooleanCoordinateIsRefused() {
        refuse(#"{"type":"stroke.points","id":1,"points":[{"x":true,"y":1}]}"#, code: "invalid", field: "points[0].x")
    }
    func testPressureAboveOneIsRefused() {
        refuse(#"{"type":"stroke.points","id":1,"points":[{"x":1,"y":1,"p":3}]}"#, code: "invalid", field: "points[0].p")
    }
    func testAbsurdWidthIsRefused() {
        refuse(#"{"type":"stroke.begin","id":2,"tool":"pen","width":5000}"#, code: "invalid", field: "width")
    }
    func testUnknownToolIsRefused() {
        refuse(#"{"type":"stroke.begin","id":2,"tool":"laser","width":4}"#, code: "invalid", field: "tool")
    }
    func testPointsForUnknownStrokeAreRefused() {
        refuse(#"{"type":"stroke.points","id":5,"points":[{"x":1,"y":1}]}"#, code: "invalid", field: "id")
    }
    func testReopeningAnOpenStrokeIsRefused() {
        refuse(#"{"type":"stroke.begin","id":1,"tool":"pen","width":4}"#, code: "invalid", field: "id")
    }
    func testUnknownSliderIsRefused() {
        refuse(#"{"type":"sliders","values":{"ears":0.5}}"#, code: "invalid", field: "values.ears")
    }
    func testWithoutAModelOnlyMalformedSliderNamesAreRefused() {
        refuse(#"{"type":"sliders","values":{"Ears!":0.5}}"#, code: "invalid", field: "values.Ears!", sliderNames: nil)
        refuse(#"{"type":"sliders","values":{"":0.5}}"#, code: "invalid", field: "values.", sliderNames: nil)
        let f = Fixture(sliderNames: nil)
        let (a, pa) = f.join("client-aaaa")
        a.receive(text: #"{"type":"sliders","values":{"ears":0.25}}"#)
        XCTAssertNil(pa.errors.last)
        XCTAssertEqual(f.hub.snapshot(of: f.id)?.sliders["ears"], 0.25)
    }
    func testASessionHoldsAtMostSixteenSliders() {
        let seventeen = (0..<17).map { "\"s\($0)\":0.5" }.joined(separator: ",")
        refuse("{\"type\":\"sliders\",\"values\":{\(seventeen)}}", code: "invalid", field: "values", sliderNames: nil)
        let f = Fixture(sliderNames: nil)
        let (a, pa) = f.join("client-aaaa")
        for batch in 0..<2 {
            let eight = (0..<8).map { "\"s\(batch * 8 + $0)\":0.5" }.joined(separator: ",")
            a.receive(text: "{\"type\":\"sliders\",\"values\":{\(eight)}}")
        }
        XCTAssertNil(pa.errors.last, "16 distinct sliders fit")
        a.receive(text: #"{"type":"sliders","values":{"one_more":0.5}}"#)
        XCTAssertEqual(pa.errors.last?["field"] as? String, "values")
    }
    func testSliderOutOfRangeIsRefused() {
        refuse(#"{"type":"sliders","values":{"nose":1.5}}"#, code: "invalid", field: "values.nose")
    }
    func testTooManyPointsInOneMessageIsRefused() {
        let points = (0..<513).map { _ in #"{"x":1,"y":1}"# }.joined(separator: ",")
        refuse("{\"type\":\"stroke.points\",\"id\":1,\"points\":[\(points)]}", code: "limit", field: "points")
    }
    func testBinaryFromClientIsRefused() {
        let f = Fixture()
        let (a, pa) = f.join("client-aaaa")
        a.receive(binary: [1, 2, 3])
        XCTAssertEqual(pa.errors.last?["code"] as? String, "invalid")
    }

    func testStrokeLongerThanTheLimitIsRefused() {
        var config = SessionsConfig()
        config.maxPointsPerStroke = 10
        let f = Fixture(config: config)
        let (a, pa) = f.join("client-aaaa")
        a.receive(text: #"{"type":"stroke.begin","id":1,"tool":"pen","width":4}"#)
        let six = (0..<6).map { _ in #"{"x":1,"y":1}"# }.joined(separator: ",")
        a.receive(text: "{\"type\":\"stroke.points\",\"id\":1,\"points\":[\(six)]}")
        a.receive(text: "{\"type\":\"stroke.points\",\"id\":1,\"points\":[\(six)]}")
        XCTAssertEqual(pa.errors.last?["code"] as? String, "limit")
        XCTAssertEqual(pa.ops.count, 2)
    }

    func testMessagesBeforeHelloCloseWith4400() {
        let f = Fixture()
        let peer = TestPeer()
        let c = f.hub.connect(to: f.id, peer: peer)!
        c.receive(text: #"{"type":"clear"}"#)
        XCTAssertEqual(peer.closed?.code, 4400)
        XCTAssertEqual(peer.errors.first?["code"] as? String, "hello_required")
    }

    func testWrongVersionClosesWith4400NamingVersion() {
        let f = Fixture()
        let peer = TestPeer()
        let c = f.hub.connect(to: f.id, peer: peer)!
        c.receive(text: #"{"type":"hello","version":7,"client":"client-aaaa"}"#)
        XCTAssertEqual(peer.closed?.code, 4400)
        XCTAssertEqual(peer.errors.first?["field"] as? String, "version")
    }

    func testSeventeenthParticipantIsClosedWith4409() {
        let f = Fixture()
        for i in 0..<16 { _ = f.join("client-\(1000 + i)") }
        let (_, peer) = f.join("client-late")
        XCTAssertEqual(peer.closed?.code, 4409)
        XCTAssertEqual(peer.errors.first?["code"] as? String, "session_full")
        XCTAssertTrue(peer.of(type: "welcome").isEmpty)
    }

    func testSessionsBeyondTheLimitAreRefused() {
        var config = SessionsConfig()
        config.maxSessions = 3
        let f = Fixture(config: config)
        _ = try! f.hub.createSession(); _ = try! f.hub.createSession()
        XCTAssertThrowsError(try f.hub.createSession()) { XCTAssertEqual($0 as? SessionRefusal, .tooManySessions(3)) }
    }

    func testUnknownSessionClosesWith4404() {
        let f = Fixture()
        let peer = TestPeer()
        XCTAssertNil(f.hub.connect(to: SessionID.random(), peer: peer))
        XCTAssertEqual(peer.closed?.code, 4404)
    }

    func testFloodGetsRateLimitedThenClosedWith1008() {
        var config = SessionsConfig()
        config.messagesPerSecond = 10
        config.messageBurst = 5
        config.rateStrikes = 3
        let f = Fixture(config: config)
        let (a, pa) = f.join("client-aaaa")   // hello takes one token
        for _ in 0..<4 { a.receive(text: #"{"type":"ping"}"#) }
        XCTAssertEqual(pa.of(type: "pong").count, 4)
        a.receive(text: #"{"type":"ping"}"#)
        XCTAssertEqual(pa.errors.last?["code"] as? String, "rate_limited")
        XCTAssertNil(pa.closed)
        f.clock.advance(0.2)   // two tokens back: the client may continue
        a.receive(text: #"{"type":"ping"}"#)
        XCTAssertEqual(pa.of(type: "pong").count, 5)
        for _ in 0..<5 { a.receive(text: #"{"type":"ping"}"#) }
        XCTAssertEqual(pa.closed?.code, 1008)
    }

    func testNeverDrawnSessionExpiresSooner() {
        var config = SessionsConfig()
        config.idleExpiry = 600
        config.emptyExpiry = 60
        let f = Fixture(config: config)
        let drawn = try! f.hub.createSession()
        let (a, _) = f.join("client-aaaa", to: drawn)
        a.draw(id: 1, [(1, 1), (5, 5)])
        a.disconnected()
        f.clock.advance(61)
        XCTAssertEqual(f.hub.expireIdle(), [f.id])
        XCTAssertTrue(f.hub.contains(drawn))
    }

    func testIdleSessionExpiresFromMemoryAndStore() {
        var config = SessionsConfig()
        config.idleExpiry = 60
        let f = Fixture(config: config)
        let (a, _) = f.join("client-aaaa")
        a.draw(id: 1, [(1, 1), (5, 5)])
        f.clock.advance(120)
        XCTAssertEqual(f.hub.expireIdle(), [], "a connected session is not idle")
        a.disconnected()
        f.clock.advance(30)
        XCTAssertEqual(f.hub.expireIdle(), [])
        f.clock.advance(31)
        XCTAssertEqual(f.hub.expireIdle(), [f.id])
        XCTAssertFalse(f.hub.contains(f.id))
        XCTAssertEqual(try f.store.loadSessions().count, 0)
        let peer = TestPeer()
        XCTAssertNil(f.hub.connect(to: f.id, peer: peer))
        XCTAssertEqual(peer.closed?.code, 4404)
    }
}
