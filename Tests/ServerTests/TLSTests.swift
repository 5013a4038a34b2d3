import Foundation
import Testing
import Transport
@testable import App

/// `openssl s_client` against the TLS listener; stdin is empty so it disconnects right after the handshake.
private func sClient(_ port: UInt16, _ options: [String]) throws -> ToolOutput {
    try runTool("/usr/bin/openssl", ["s_client", "-connect", "127.0.0.1:\(port)"] + options, stdin: "", timeoutSeconds: 10)
}

@Suite("TLS")
struct TLSTests {
    @Test func tls12AndTls13AreAcceptedWithALPNHttp11() throws {
        let server = try TestServer()
        for (flag, name) in [("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")] {
            let output = try sClient(server.httpsPort, [flag, "-alpn", "http/1.1"])
            let text = output.stdout + output.stderr
            #expect(text.contains("New, \(name), Cipher is"), "\(text)")
            #expect(text.contains("ALPN protocol: http/1.1"), "\(text)")
        }
    }

    @Test func tls11IsRefusedByTheServer() throws {
        let server = try TestServer()
        // SECLEVEL=0 lets the client offer TLS 1.1 at all, so the refusal is the server's protocol_version alert.
        let output = try sClient(server.httpsPort, ["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"])
        #expect(output.status != 0)
        #expect((output.stdout + output.stderr).contains("alert protocol version"), "\(output.stderr)")
    }

    @Test func tls12LegacyCBCSuiteIsRefused() throws {
        let server = try TestServer()
        let output = try sClient(server.httpsPort, ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA"])
        #expect(output.status != 0)
        #expect((output.stdout + output.stderr).contains("handshake failure"), "\(output.stderr)")
    }

    @Test func tls12NegotiatesOnlyECDHEWithAEAD() throws {
        let server = try TestServer()
        for suite in ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"] {
            let output = try sClient(server.httpsPort, ["-tls1_2", "-cipher", suite])
            #expect((output.stdout + output.stderr).contains("Cipher is \(suite)"), "\(output.stdout)")
        }
        for legacy in ["AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-SHA384", "AES256-SHA"] {
            #expect(try sClient(server.httpsPort, ["-tls1_2", "-cipher", legacy]).status != 0, "\(legacy)")
        }
    }

    @Test func clientOfferingOnlyOtherProtocolsGetsNoApplicationProtocolAlert() throws {
        let server = try TestServer()
        let output = try sClient(server.httpsPort, ["-alpn", "h2"])
        #expect((output.stdout + output.stderr).contains("no application protocol"), "\(output.stderr)")
    }

    @Test func curlFetchesPageOverHTTPSWithALPN() throws {
        let server = try TestServer()
        let output = try runTool("/usr/bin/curl", ["--http1.1", "-sSkv", "https://127.0.0.1:\(server.httpsPort)/"])
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout.contains("SketchFace test"))
        #expect(output.stderr.contains("ALPN: server accepted http/1.1"))
    }

    @Test func developmentCertificateIsGeneratedOnceAndReused() throws {
        let directory = temporaryDirectory("devcert")
        let first = try DevelopmentCertificate.ensure(in: directory + "/nested")
        #expect(first.created)
        let second = try DevelopmentCertificate.ensure(in: directory + "/nested")
        #expect(!second.created)
        let a = try TLSContext(certificatePath: first.certificatePath, privateKeyPath: first.privateKeyPath)
        let b = try TLSContext(certificatePath: second.certificatePath, privateKeyPath: second.privateKeyPath)
        #expect(a.fingerprint == b.fingerprint)
        let attributes = try FileManager.default.attributesOfItem(atPath: first.privateKeyPath)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        // The printed fingerprint is the one openssl computes, and the key is EC P-256.
        let x509 = try runTool("/usr/bin/openssl", ["x509", "-in", first.certificatePath, "-noout", "-fingerprint", "-sha256", "-text"])
        #expect(x509.stdout.contains(a.fingerprint))
        #expect(x509.stdout.contains("prime256v1") || x509.stdout.contains("P-256"))
        #expect(x509.stdout.contains("IP Address:127.0.0.1"))
    }

    @Test func configuredCertificateFilesAreUsed() throws {
        let directory = temporaryDirectory("certs")
        let made = try runTool("/usr/bin/openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                                                    "-keyout", directory + "/key.pem", "-out", directory + "/cert.pem",
                                                    "-days", "2", "-subj", "/CN=configured.test"])
        #expect(made.status == 0, "\(made.stderr)")
        let server = try TestServer(["tls.certificate": .string(directory + "/cert.pem"), "tls.private_key": .string(directory + "/key.pem")])
        let output = try sClient(server.httpsPort, [])
        #expect((output.stdout + output.stderr).contains("CN = configured.test"), "\(output.stdout)")
        #expect(!FileManager.default.fileExists(atPath: server.dataDirectory + "/dev-cert.pem"))
    }

    @Test func unreadableCertificateFailsStartupWithReason() throws {
        #expect(throws: TransportError.self) {
            _ = try TestServer(["tls.certificate": .string("/nonexistent/cert.pem"), "tls.private_key": .string("/nonexistent/key.pem")])
        }
    }

    @Test func silentTLSClientIsClosedAtHandshakeTimeout() throws {
        let server = try TestServer(["timeouts.tls_handshake_ms": .integer(300)])
        let client = try RawClient(port: server.httpsPort)
        let seconds = try #require(client.secondsUntilClosed(limit: 3))
        #expect(seconds < 1.5)
    }

    @Test func plaintextOnTLSPortFailsHandshakeWithoutCrash() throws {
        let server = try TestServer()
        let client = try RawClient(port: server.httpsPort)
        client.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(client.secondsUntilClosed(limit: 3) != nil)
        // The server still serves TLS afterwards.
        #expect(try sClient(server.httpsPort, ["-tls1_3"]).stdout.contains("New, TLSv1.3"))
    }
}
