import Testing
@testable import HTTP

/// An in-memory file tree under /srv/web with a symlink pointing outside it.
func makeResolver() -> StaticPathResolver {
    let files: Set<String> = ["/srv/web/index.html", "/srv/web/app.js", "/srv/web/img/face.png", "/srv/web/docs/index.html",
                              "/srv/web/a b.txt", "/srv/web/ünï.txt", "/etc/passwd"]
    let directories: Set<String> = ["/srv/web", "/srv/web/img", "/srv/web/docs", "/srv/web/empty", "/etc"]
    // /srv/web/leak -> /etc/passwd ; /srv/web/inner -> /srv/web/img (stays inside)
    let links = ["/srv/web/leak": "/etc/passwd", "/srv/web/inner": "/srv/web/img"]
    @Sendable func resolveLinks(_ path: String) -> String {
        for (link, target) in links where path == link || path.hasPrefix(link + "/") {
            return target + path.dropFirst(link.count)
        }
        return path
    }
    return StaticPathResolver(
        root: "/srv/web/",
        fileKind: { path in
            let real = resolveLinks(path)
            if files.contains(real) { return .file }
            if directories.contains(real) { return .directory }
            return nil
        },
        realpath: { path in
            let real = resolveLinks(path)
            return files.contains(real) || directories.contains(real) ? real : nil
        })
}

@Suite struct StaticPathResolverTests {
    func resolve(_ target: String) -> Result<String, HTTPError> {
        do { return .success(try makeResolver().resolve(target: target)) } catch { return .failure(error) }
    }

    @Test func fileUnderRootResolves() {
        #expect(resolve("/app.js") == .success("/srv/web/app.js"))
        #expect(resolve("/img/face.png?v=3#top") == .success("/srv/web/img/face.png"))
    }

    @Test func directoryResolvesToIndexHtml() {
        #expect(resolve("/") == .success("/srv/web/index.html"))
        #expect(resolve("/docs") == .success("/srv/web/docs/index.html"))
        #expect(resolve("/docs/") == .success("/srv/web/docs/index.html"))
    }

    @Test func directoryWithoutIndexIsNotFound() {
        #expect(resolve("/empty/") == .failure(.notFound))
        #expect(HTTPError.notFound.status.code == 404)
    }

    @Test func missingFileIsNotFound() {
        #expect(resolve("/nope.html") == .failure(.notFound))
    }

    @Test func percentEncodingIsDecoded() {
        #expect(resolve("/a%20b.txt") == .success("/srv/web/a b.txt"))
        #expect(resolve("/%C3%BCn%C3%AF.txt") == .success("/srv/web/ünï.txt"))
        #expect(resolve("/%61pp.js") == .success("/srv/web/app.js"))
    }

    @Test func dotSegmentsAreNormalisedInsideTheRoot() {
        #expect(resolve("/img/../app.js") == .success("/srv/web/app.js"))
        #expect(resolve("/./img/./face.png") == .success("/srv/web/img/face.png"))
        #expect(resolve("//img//face.png") == .success("/srv/web/img/face.png"))
    }

    @Test(arguments: ["/../etc/passwd", "/img/../../etc/passwd", "/%2e%2e/etc/passwd", "/..", "/img/%2E%2E/%2e%2e/x"])
    func climbingAboveTheRootIsRefusedWith400(target: String) {
        #expect(resolve(target) == .failure(.invalidPath))
        #expect(HTTPError.invalidPath.status.code == 400)
    }

    @Test(arguments: ["/img%2fface.png", "/img%2Fface.png", "/a%5cb", "/a\\b", "/a%00.html", "/a%zz", "/a%2", "relative.html", ""])
    func encodedSlashesNulAndBadEscapesAreRefusedWith400(target: String) {
        #expect(resolve(target) == .failure(.invalidPath))
    }

    @Test func invalidUTF8AfterDecodingIsRefused() {
        #expect(resolve("/%FF.txt") == .failure(.invalidPath))
    }

    @Test func symlinkEscapingTheRootIsNotFound() {
        #expect(resolve("/leak") == .failure(.notFound))
    }

    @Test func symlinkStayingInsideTheRootIsServed() {
        #expect(resolve("/inner/face.png") == .success("/srv/web/img/face.png"))
    }

    @Test func segmentsAreNormalised() throws {
        #expect(try StaticPathResolver.segments(of: "/a/./b/../c/") == ["a", "c"])
    }
}
