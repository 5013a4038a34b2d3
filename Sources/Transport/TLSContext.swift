import CLinux
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
        parts.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
    return parts.isEmpty ? fallback : parts.joined(separator: "; ")
}

/// A server-side OpenSSL context: TLS 1.2 minimum; for TLS 1.2 the Mozilla "intermediate" suites
/// restricted to ECDHE key exchange with AEAD ciphers (`tls12CipherList`); TLS 1.3 keeps OpenSSL's
/// defaults (all AEAD). No renegotiation, ALPN `http/1.1`, one certificate chain and private key.
// @unchecked: the SSL_CTX is configured in `init` and only read afterwards; OpenSSL allows `SSL_new` on a shared context from any thread.
public final class TLSContext: @unchecked Sendable {
    let context: OpaquePointer
    /// The TLS 1.2 suites offered: forward secrecy (ECDHE) and AEAD only, so no CBC/SHA-1 suite
    /// (`ECDHE-ECDSA-AES128-SHA`) and no static-RSA or DHE exchange can be negotiated.
    public static let tls12CipherList = [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
    ].joined(separator: ":")
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
        guard SSL_CTX_set_cipher_list(context, Self.tls12CipherList) == 1 else {
            let message = openSSLErrors()
            SSL_CTX_free(context)
            throw TransportError.tls(message)
        }
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

    /// A new stream for an accepted socket; `plaintextAnswer`, when set, is what a client speaking
    /// plaintext instead of TLS is told before the connection closes.
    func makeStream(fd: Int32, plaintextAnswer: [UInt8]? = nil) -> TLSStream? {
        guard let ssl = SSL_new(context) else { return nil }
        SSL_set_fd(ssl, fd)
        SSL_set_accept_state(ssl)
        return TLSStream(ssl: ssl, fd: fd, plaintextAnswer: plaintextAnswer)
    }
}

/// One TLS session over a non-blocking socket, driven by the connection's event loop.
///
/// Before the handshake it peeks at the first byte: a TLS connection starts with a handshake record
/// (0x16), a plaintext HTTP request with an upper-case method letter. For the latter, when a
/// `plaintextAnswer` is set, the stream discards what the client sent so far, writes the answer in the
/// clear, half-closes and fails the handshake. Nothing the client sent is parsed, so this is as safe
/// as the handshake failure it replaces; the answer only tells a lost client to use https.
final class TLSStream: ByteStream {
    private let ssl: OpaquePointer
    private let fd: Int32
    private let plaintextAnswer: [UInt8]?
    private var sniffed = false

    init(ssl: OpaquePointer, fd: Int32, plaintextAnswer: [UInt8]?) {
        self.ssl = ssl
        self.fd = fd
        self.plaintextAnswer = plaintextAnswer
    }
    deinit { SSL_free(ssl) }

    func handshake() -> StreamResult {
        if !sniffed, let plaintextAnswer {
            var first: UInt8 = 0
            let count = recv(fd, &first, 1, Int32(MSG_PEEK))
            if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) { return .wouldBlock(wantsWrite: false) }
            sniffed = true
            if count == 1 && first >= UInt8(ascii: "A") && first <= UInt8(ascii: "Z") {
                answerPlaintext(plaintextAnswer)
                return .failed(.tlsHandshakeFailed("plaintext HTTP on the TLS port"))
            }
        }
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

    /// Best effort: the request must be read before closing, or the kernel answers the close with a reset
    /// that can destroy the answer before the client reads it.
    private func answerPlaintext(_ answer: [UInt8]) {
        var scratch = [UInt8](repeating: 0, count: 4096)
        for _ in 0..<16 {
            guard scratch.withUnsafeMutableBytes({ recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }) > 0 else { break }
        }
        _ = answer.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
        Glibc.shutdown(fd, Int32(SHUT_WR))
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
