/// Encoders for server → client text messages (docs/PROTOCOL.md, "Server → client"). Operations encode
/// themselves (`Operation.encoded`).
enum ServerMessage {
    static func welcome(session: SessionID, you: Participant, token: String, document: SketchDocument, from: Int, through: Int,
                        reset: Bool, participants: [Participant]) -> String {
        var json = JSONText()
        json.add("type", "welcome")
        json.add("version", SessionProtocol.version)
        json.add("session", session.text)
        json.add("you", raw: you.encoded)
        json.add("token", token)
        json.add("lastRef", document.lastRef[you.client] ?? 0)
        json.add("head", document.head)
        json.add("undoReach", document.undoReach)
        json.add("from", from)
        json.add("reset", reset)
        json.add("sliders", raw: Operation.encode(document.sliders))
        json.add("mode", document.mode.rawValue)
        if let appearance = document.appearance { json.add("appearance", appearance) }
        json.add("participants", raw: JSONText.array(participants.map(\.encoded)))
        json.add("more", through < document.head)
        json.add("ops", raw: JSONText.array(Array(document.encodedOps[from..<through])))
        return json.finished()
    }

    /// A further page of the join snapshot: ops `after+1 … through`.
    static func snapshot(document: SketchDocument, after: Int, through: Int) -> String {
        var json = JSONText()
        json.add("type", "snapshot")
        json.add("after", after)
        json.add("more", through < document.head)
        json.add("ops", raw: JSONText.array(Array(document.encodedOps[after..<through])))
        return json.finished()
    }

    /// The end (exclusive index, i.e. the last seq included) of a snapshot page starting after `after`: at
    /// least one op, then as many as fit in `budget` bytes.
    static func pageEnd(document: SketchDocument, after: Int, budget: Int) -> Int {
        var end = after, bytes = 0
        while end < document.head {
            bytes += document.encodedOps[end].utf8.count + 1
            if bytes > budget && end > after { break }
            end += 1
        }
        return end
    }

    static func presence(_ participants: [Participant]) -> String {
        var json = JSONText()
        json.add("type", "presence")
        json.add("participants", raw: JSONText.array(participants.map(\.encoded)))
        return json.finished()
    }

    static func ack(seq: Int, ref: Int?) -> String {
        var json = JSONText()
        json.add("type", "ack")
        json.add("seq", seq)
        if let ref { json.add("ref", ref) }
        return json.finished()
    }

    static func error(_ outcome: ProtocolError.Outcome, ref: Int?) -> String {
        var json = JSONText()
        json.add("type", "error")
        json.add("code", outcome.code)
        if let field = outcome.field { json.add("field", field) }
        json.add("message", outcome.message)
        if let ref { json.add("ref", ref) }
        return json.finished()
    }

    static func cursor(of client: String, x: Double, y: Double) -> String {
        var json = JSONText()
        json.add("type", "cursor")
        json.add("id", client)
        json.add("x", (x * 16).rounded() / 16)
        json.add("y", (y * 16).rounded() / 16)
        return json.finished()
    }

    static let pong = "{\"type\":\"pong\"}"
}

/// A joined participant as others see it.
struct Participant: Equatable {
    var client: String
    var name: String
    var color: String

    var encoded: String {
        var json = JSONText()
        json.add("id", client); json.add("name", name); json.add("color", color)
        return json.finished()
    }

    /// Colours handed out when a client does not pick one.
    static let palette = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#9a6324",
                          "#469990", "#800000", "#808000", "#000075", "#bfef45", "#fabed4", "#dcbeff", "#ffd8b1"]
}
