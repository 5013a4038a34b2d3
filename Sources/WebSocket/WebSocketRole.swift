/// Which end of a connection a codec serves; it decides the masking rules (RFC 6455 §5.1).
public enum WebSocketRole: Sendable, Hashable {
    /// Receives masked frames, sends unmasked ones. SketchFace's server side.
    case server
    /// Receives unmasked frames, sends masked ones. Used by tests, fuzzers and benchmark clients.
    case client
}
