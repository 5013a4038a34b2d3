import Testing
@testable import HTTP

@Suite struct HostAndTargetTests {
    @Test func hostAllowListIgnoresCasePortAndTrailingDot() {
        let list = HostAllowList(names: ["localhost", "Sketch.Example.org", "::1"])
        for authority in ["localhost", "LOCALHOST:8080", "sketch.example.org.", "sketch.example.org:443", "[::1]", "[::1]:8443"] {
            #expect(list.allows(authority), "\(authority)")
        }
    }

    @Test func hostAllowListRefusesOtherAndMalformedAuthorities() {
        let list = HostAllowList(names: ["localhost"])
        for authority in ["evil.example", "localhost.evil.example", "", "localhost:80x", "user@localhost", "[::1", "local host",
                          "localhost/x", "[localhost]:80:80"] {
            #expect(!list.allows(authority), "\(authority)")
        }
    }

    @Test func starAllowsEveryWellFormedHost() {
        let list = HostAllowList(names: ["*"])
        #expect(list.allows("anything.example:1"))
        #expect(!list.allows("bad host"))
    }

    @Test func absoluteFormTargetHasOriginFormPathAndItsOwnAuthority() {
        var request = HTTPRequest(method: "GET", target: "HTTP://Example.org:8080/new?x=1#f", headers: ["Host": "other"])
        #expect(request.path == "/new")
        #expect(request.query == "x=1")
        #expect(request.originFormTarget == "/new?x=1#f")
        #expect(request.authority == "Example.org:8080")
        request.target = "https://example.org"
        #expect(request.path == "/")
        request.target = "https://example.org?q"
        #expect(request.originFormTarget == "/?q")
        request.target = "/plain"
        #expect(request.absoluteFormAuthority == nil)
        #expect(request.authority == "other")
    }

    @Test func misdirectedRequestMapsTo421() {
        #expect(HTTPError.misdirectedRequest.status.code == 421)
        #expect(HTTPError.misdirectedRequest.status.reasonPhrase == "Misdirected Request")
    }

    @Test func dotfilesAreNotFoundHoweverSpelled() {
        for target in ["/.env", "/%2e%65nv", "/img/../.env", "/.git/config", "/docs/.hidden/index.html"] {
            #expect(throws: HTTPError.notFound, "\(target)") { try StaticPathResolver.segments(of: target) }
        }
        #expect(throws: HTTPError.invalidPath) { try StaticPathResolver.segments(of: "/../.env") }
    }

    @Test func fileNamedWithATrailingSlashIsNotFound() throws {
        let resolver = makeResolver()
        for target in ["/index.html/", "/app.js/.", "/img/face.png/?x=1"] {
            #expect(throws: HTTPError.notFound, "\(target)") { try resolver.resolve(target: target) }
        }
        #expect(try resolver.resolve(target: "/docs/") == "/srv/web/docs/index.html")
    }

    @Test func sameOriginMeansOneOriginEqualToOwnSchemeAndHost() {
        var request = HTTPRequest(method: "GET", target: "/", headers: ["Host": "Localhost:8443", "Origin": "https://localhost:8443"])
        #expect(request.isSameOrigin(isSecure: true))
        #expect(!request.isSameOrigin(isSecure: false))
        request.headers.add(name: "Origin", value: "https://localhost:8443")
        #expect(!request.isSameOrigin(isSecure: true))
    }
}
