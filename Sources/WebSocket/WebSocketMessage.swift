/// A whole application message: what a connection delivers and what the application sends.
public enum WebSocketMessage: Sendable, Equatable {
    /// A text message; always valid UTF-8 by construction.
    case text(String)
    /// A binary message.
    case binary([UInt8])
}
