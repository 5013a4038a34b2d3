import Glibc

/// Failures of socket and TLS set-up. Runtime I/O failures of a connection become a `CloseReason` instead.
public enum TransportError: Error, CustomStringConvertible, Equatable {
    /// The address text is not `host:port` with a numeric IPv4/IPv6 host (or `localhost`) and a port 0–65535.
    case invalidAddress(String)
    /// A system call failed; `call` names it, `errno` is the error number.
    case system(call: String, errno: Int32)
    /// OpenSSL refused something (loading a certificate, creating a context); the text is OpenSSL's error queue.
    case tls(String)

    public var description: String {
        switch self {
        case .invalidAddress(let text):
            return "invalid address '\(text)' (expected host:port, e.g. 127.0.0.1:8080 or [::1]:8443)"
        case .system(let call, let code):
            return "\(call) failed: \(String(cString: strerror(code)))"
        case .tls(let text):
            return "TLS: \(text)"
        }
    }
}
