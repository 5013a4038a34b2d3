import Testing
@testable import HTTP

@Suite struct HTTPResponseTests {
    static let date = HTTPDate(secondsSince1970: 784_111_777)  // Sun, 06 Nov 1994 08:49:37 GMT

    @Test func responseSerialisesStatusLineAndStandardHeaders() {
        let response = HTTPResponse(status: .ok, headers: ["Content-Type": "text/plain"], body: Array("hi".utf8))
        let text = String(decoding: response.serialized(date: Self.date, keepAlive: true), as: UTF8.self)
        #expect(text == "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nServer: SketchFace\r\nContent-Length: 2\r\n"
            + "Connection: keep-alive\r\nContent-Type: text/plain\r\n\r\nhi")
    }

    @Test func closeIsAnnouncedWhenNotKeepingAlive() {
        let text = String(decoding: HTTPResponse(status: .notFound).serialized(date: Self.date, keepAlive: false), as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 404 Not Found\r\n"))
        #expect(text.contains("\r\nConnection: close\r\n"))
        #expect(text.contains("\r\nContent-Length: 0\r\n"))
    }

    @Test func headResponseKeepsLengthButOmitsBody() {
        let response = HTTPResponse(status: .ok, body: Array(repeating: 0x61, count: 10))
        let text = String(decoding: response.serialized(date: Self.date, keepAlive: true, omitBody: true), as: UTF8.self)
        #expect(text.contains("Content-Length: 10\r\n"))
        #expect(text.hasSuffix("\r\n\r\n"))
    }

    @Test func notModifiedAndSwitchingProtocolsCarryNoBodyOrLength() {
        let notModified = String(decoding: HTTPResponse(status: .notModified, body: [1, 2]).serialized(date: Self.date, keepAlive: true), as: UTF8.self)
        #expect(!notModified.contains("Content-Length"))
        #expect(notModified.hasSuffix("\r\n\r\n"))
        let upgrade = HTTPResponse(status: .switchingProtocols, headers: ["Upgrade": "websocket", "Connection": "Upgrade"])
        let text = String(decoding: upgrade.serialized(date: Self.date, keepAlive: true), as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 101 Switching Protocols\r\n"))
        #expect(text.contains("Connection: Upgrade\r\n"))
        #expect(!text.contains("keep-alive"))
    }

    @Test func headerValuesCannotInjectLines() {
        let response = HTTPResponse(status: .ok, headers: ["X-Evil": "a\r\nSet-Cookie: x=1"])
        let text = String(decoding: response.serialized(date: Self.date, keepAlive: true), as: UTF8.self)
        #expect(!text.contains("\r\nSet-Cookie"))
        #expect(text.contains("X-Evil: a  Set-Cookie: x=1\r\n"))
    }

    @Test func errorResponseUsesTheErrorsStatus() {
        #expect(HTTPResponse.error(.headersTooLarge).status.code == 431)
        #expect(HTTPResponse.error(.transferEncodingNotSupported).status == .notImplemented)
    }

    // Dates.

    @Test(arguments: [
        (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
        (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),
        (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),
        (1_709_251_199, "Thu, 29 Feb 2024 23:59:59 GMT"),
        (4_102_444_800, "Fri, 01 Jan 2100 00:00:00 GMT"),
    ])
    func imfFixdateIsFormattedAndParsedBack(seconds: Int, text: String) {
        #expect(HTTPDate(secondsSince1970: seconds).description == text)
        #expect(HTTPDate(text) == HTTPDate(secondsSince1970: seconds))
    }

    @Test func everyDayOfFourCenturiesRoundTrips() {
        for day in stride(from: -100_000, through: 100_000, by: 1) {
            let date = HTTPDate(secondsSince1970: day * 86_400 + 3661)
            guard day >= -719_162 else { continue }  // year 1 and later only; IMF-fixdate has 4-digit years
            let back = HTTPDate(date.description)
            if back != date { Issue.record("day \(day): \(date.description)"); return }
        }
    }

    @Test(arguments: ["Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", "Sun, 06 Nov 1994 08:49:37 UTC",
                      "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 32 Nov 1994 08:49:37 GMT", "", "garbage"])
    func nonImfDatesAreNotParsed(text: String) {
        #expect(HTTPDate(text) == nil)
    }

    // MIME types.

    @Test(arguments: [("/index.html", "text/html; charset=utf-8"), ("app.JS", "text/javascript; charset=utf-8"),
                      ("/img/face.png", "image/png"), ("style.css", "text/css; charset=utf-8"), ("data.json", "application/json"),
                      ("archive.tar.gz", "application/octet-stream"), ("/README", "application/octet-stream"),
                      ("/.hidden", "application/octet-stream"), ("/dir.d/file", "application/octet-stream")])
    func mimeTypeFollowsTheExtension(path: String, type: String) {
        #expect(MIMEType.forPath(path) == type)
    }
}
