import Foundation
@testable import Sessions

/// An in-memory client: records what the server sends it.
final class TestPeer: Peer {
    private let lock = NSLock()
    private var _texts: [String] = []
    private(set) var binaries: [[UInt8]] = []
    private(set) var closed: (code: UInt16, reason: String)?

    func send(text: String) { lock.lock(); _texts.append(text); lock.unlock() }
    func send(binary: [UInt8]) { lock.lock(); binaries.append(binary); lock.unlock() }
    func close(code: UInt16, reason: String) { lock.lock(); if closed == nil { closed = (code, reason) }; lock.unlock() }

    var texts: [String] { lock.lock(); defer { lock.unlock() }; return _texts }

    /// Decoded messages.
    var messages: [[String: Any]] {
        texts.map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    }

    func of(type: String) -> [[String: Any]] { messages.filter { $0["type"] as? String == type } }

    var ops: [[String: Any]] { of(type: "op") }
    var errors: [[String: Any]] { of(type: "error") }
    var acks: [Int] { of(type: "ack").map { $0["seq"] as! Int } }

    func clear() { lock.lock(); _texts = []; binaries = []; lock.unlock() }
}

/// A settable clock.
final class TestClock {
    var now = 1_000_000.0
    func advance(_ seconds: Double) { now += seconds }
}

/// What the test browsers keep in sessionStorage: each client's token, from its first welcome.
final class TokenJar {
    var tokens: [String: String] = [:]
}

/// Builds a hub over an in-memory store with a test clock.
struct Fixture {
    let clock = TestClock()
    let jar = TokenJar()
    let store = MemoryOperationStore()
    let hub: SessionHub
    let id: SessionID

    /// Component names a loaded model would announce (Guidance sets them on a real server).
    static let components: Set<String> = ["left_eye", "right_eye", "nose", "mouth", "remainder"]

    init(config: SessionsConfig = SessionsConfig(), store: MemoryOperationStore? = nil, sliderNames: Set<String>? = Fixture.components) {
        let store = store ?? self.store
        let clock = self.clock
        hub = SessionHub(config: config, store: store, clock: { clock.now })
        hub.sliderNames = sliderNames
        id = try! hub.createSession()
    }

    /// Connects and says hello; returns the connection and its peer.
    /// The client's token is sent when the jar has one (as the web client does), and kept from the welcome.
    func join(_ client: String, name: String = "Ann", lastSeq: Int? = nil, to id: SessionID? = nil) -> (SessionConnection, TestPeer) {
        let peer = TestPeer()
        let connection = hub.connect(to: id ?? self.id, peer: peer)!
        var hello = "{\"type\":\"hello\",\"version\":1,\"client\":\"\(client)\",\"name\":\"\(name)\""
        if let lastSeq { hello += ",\"lastSeq\":\(lastSeq)" }
        if let token = jar.tokens[client] { hello += ",\"token\":\"\(token)\"" }
        connection.receive(text: hello + "}")
        if let token = peer.of(type: "welcome").first?["token"] as? String { jar.tokens[client] = token }
        return (connection, peer)
    }
}

extension SessionConnection {
    /// Draws one complete pen stroke through the protocol.
    func draw(id: Int, _ points: [(Double, Double)], width: Double = 6, tool: String = "pen", ref: Int = 0) {
        receive(text: "{\"type\":\"stroke.begin\",\"id\":\(id),\"tool\":\"\(tool)\",\"width\":\(width),\"ref\":\(ref)}")
        let list = points.map { "{\"x\":\($0.0),\"y\":\($0.1),\"p\":0.8}" }.joined(separator: ",")
        receive(text: "{\"type\":\"stroke.points\",\"id\":\(id),\"points\":[\(list)],\"ref\":\(ref + 1)}")
        receive(text: "{\"type\":\"stroke.end\",\"id\":\(id),\"ref\":\(ref + 2)}")
    }
}

/// A client-side replica: applies the `op` messages a peer received, as the browser does.
func replica(of peer: TestPeer) -> SketchDocument {
    var document = SketchDocument()
    for text in peer.texts {
        guard text.hasPrefix("{\"type\":\"op\"") else {
            if text.hasPrefix("{\"type\":\"welcome\"") {
                let object = try! JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
                for op in object["ops"] as! [[String: Any]] {
                    let data = try! JSONSerialization.data(withJSONObject: op)
                    document.apply(try! Operation(encoded: String(decoding: data, as: UTF8.self)))
                }
            }
            continue
        }
        document.apply(try! Operation(encoded: text))
    }
    return document
}
