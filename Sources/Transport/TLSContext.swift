import COpenSSL
import Glibc

/// The wire form of the only application protocol we speak, for ALPN.
private let http11 = Array("http/1.1".utf8)

/// Drains OpenSSL's thread-local error queue into one line (most recent last).
func openSSLErrors(fallback: String = "unknown error") -> String {
    var parts: [String] = []
    while true {
        let code = ERR_get_error()
        if code == 0 { break }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        parts.append(String(cString: buffer))
    }
    return parts.isEmpty ? fallback : parts.joined(separator: "; ")
}

/// A server-side OpenSSL context: TLS 1.2 minimum, OpenSSL's default cipher suites and groups,
/// no renegotiation, ALPN `http/1.1`, one certificate chain and private key.
public final class TLSContext: @unchecked Sendable {
    let context: OpaquePointer
    /// SHA-256 fingerprint of the leaf certificate, colon-separated upper-case hex.
    public let fingerprint: String

    /// Loads a PEM certificate chain and PEM private key and checks that they match.
    public init(certificatePath: String, privateKeyPath: String) throws {
        guard let context = SSL_CTX_new(TLS_server_method()) else { throw TransportError.tls(openSSLErrors()) }
        self.context = context
        // SSL_CTX_set_min_proto_version and SSL_CTX_set_mode are C macros over SSL_CTX_ctrl.
        SSL_CTX_ctrl(context, SSL_CTRL_SET_MIN_PROTO_VERSION, Int(TLS1_2_VERSION), nil)
        // Release buffers: an idle TLS connection drops its ~34 KiB record buffers until traffic resumes.
        SSL_CTX_ctrl(context, SSL_CTRL_MODE,
                     Int(SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS), nil)
        let noRenegotiation: UInt64 = 1 << 30
        let ignoreUnexpectedEOF: UInt64 = 1 << 7   // a client that drops TCP without close_notify is an ordinary EOF
        SSL_CTX_set_options(context, noRenegotiation | ignoreUnexpectedEOF)
        SSL_CTX_set_alpn_select_cb(context, { _, out, outLength, offered, offeredLength, _ in
            // Offered is a list of length-prefixed names; pick http/1.1, or refuse per RFC 7301 §3.2.
            guard let offered, let out, let outLength else { return SSL_TLSEXT_ERR_NOACK }
            var index = 0
            let total = Int(offeredLength)
            while index < total {
                let length = Int(offered[index])
                let start = index + 1
                if start + length > total { break }
                if length == http11.count && (0..<length).allSatisfy({ offered[start + $0] == http11[$0] }) {
                    out.pointee = offered + start
                    outLength.pointee = UInt8(length)
                    return SSL_TLSEXT_ERR_OK
                }
                index = start + length
            }
            return SSL_TLSEXT_ERR_ALERT_FATAL
        }, nil)
        guard SSL_CTX_use_certificate_chain_file(context, certificatePath) == 1 else {
            let why = openSSLErrors()
            SSL_CTX_free(context)
            throw TransportError.tls("cannot load certificate \(certificatePath): \(why)")
        }
        guard SSL_CTX_use_PrivateKey_file(context, privateKeyPath, SSL_FILETYPE_PEM) == 1 else {
            let why = openSSLErrors()
            SSL_CTX_free(context)
            throw TransportError.tls("cannot load private key \(privateKeyPath): \(why)")
        }
        guard SSL_CTX_check_private_key(context) == 1 else {
            let why = openSSLErrors()
            SSL_CTX_free(context)
            throw TransportError.tls("private key \(privateKeyPath) does not match certificate \(certificatePath): \(why)")
        }
        fingerprint = Self.fingerprint(of: SSL_CTX_get0_certificate(context))
    }

    deinit { SSL_CTX_free(context) }

    /// Colon-separated SHA-256 of the DER form of `certificate`.
    static func fingerprint(of certificate: OpaquePointer?) -> String {
        guard let certificate else { return "" }
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        X509_digest(certificate, EVP_sha256(), &digest, &length)
        return digest.prefix(Int(length)).map { hex in
            let text = String(hex, radix: 16, uppercase: true)
            return text.count == 1 ? "0" + text : text
        }.joined(separator: ":")
    }

    /// A new stream for an accepted socket.
    func makeStream(fd: Int32) -> TLSStream? {
        guard let ssl = SSL_new(context) else { return nil }
        SSL_set_fd(ssl, fd)
        SSL_set_accept_state(ssl)
        return TLSStream(ssl: ssl)
    }
}

/// One TLS session over a non-blocking socket, driven by the connection's event loop.
final class TLSStream: ByteStream {
    private let ssl: OpaquePointer

    init(ssl: OpaquePointer) { self.ssl = ssl }
    deinit { SSL_free(ssl) }

    func handshake() -> StreamResult {
        ERR_clear_error()
        let result = SSL_do_handshake(ssl)
        if result == 1 { return .done(0) }
        return classify(result, handshaking: true)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> StreamResult {
        ERR_clear_error()
        var count = 0
        if SSL_read_ex(ssl, buffer.baseAddress, buffer.count, &count) == 1 { return .done(count) }
        return classify(0, handshaking: false)
    }

    func write(_ bytes: UnsafeRawBufferPointer) -> StreamResult {
        ERR_clear_error()
        var count = 0
        if SSL_write_ex(ssl, bytes.baseAddress, bytes.count, &count) == 1 { return .done(count) }
        return classify(0, handshaking: false)
    }

    private func classify(_ result: Int32, handshaking: Bool) -> StreamResult {
        let code = SSL_get_error(ssl, result)
        switch code {
        case SSL_ERROR_WANT_READ: return .wouldBlock(wantsWrite: false)
        case SSL_ERROR_WANT_WRITE: return .wouldBlock(wantsWrite: true)
        case SSL_ERROR_ZERO_RETURN: return .endOfStream
        case SSL_ERROR_SYSCALL:
            let saved = errno
            let queued = openSSLErrors(fallback: "")
            if queued.isEmpty && (saved == 0 || saved == ECONNRESET || saved == EPIPE) {
                return handshaking ? .failed(.tlsHandshakeFailed("connection closed during handshake")) : .endOfStream
            }
            return .failed(handshaking ? .tlsHandshakeFailed(queued.isEmpty ? "errno \(saved)" : queued) : .ioError(saved))
        default:
            let why = openSSLErrors()
            return .failed(handshaking ? .tlsHandshakeFailed(why) : .tlsError(why))
        }
    }

    var bufferedReadableBytes: Int { Int(SSL_pending(ssl)) }

    func sendCloseNotify() {
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
        ERR_clear_error()
    }

    var negotiatedProtocol: String? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }
}
