import Testing
@testable import HTTP

@Suite struct ConditionalRequestTests {
    static let tag = ConditionalRequest.entityTag(size: 1234, modificationTime: 1_700_000_000)
    static let modified = HTTPDate(secondsSince1970: 1_700_000_000)

    @Test func entityTagIsQuotedSizeAndTime() {
        #expect(Self.tag == "\"4d2-6553f100\"")
    }

    @Test func matchingIfNoneMatchIsNotModified() {
        let headers: HTTPHeaders = ["If-None-Match": "\"other\", \(Self.tag)"]
        #expect(ConditionalRequest.isNotModified(headers: headers, entityTag: Self.tag, lastModified: Self.modified))
    }

    @Test func weakTagMatchesAndStarMatchesAnything() {
        #expect(ConditionalRequest.isNotModified(headers: ["If-None-Match": "W/\(Self.tag)"], entityTag: Self.tag, lastModified: nil))
        #expect(ConditionalRequest.isNotModified(headers: ["If-None-Match": "*"], entityTag: Self.tag, lastModified: nil))
    }

    @Test func differentTagIsModifiedEvenIfDateSaysFresh() {
        let headers: HTTPHeaders = ["If-None-Match": "\"stale\"", "If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"]
        #expect(!ConditionalRequest.isNotModified(headers: headers, entityTag: Self.tag, lastModified: Self.modified))
    }

    @Test func ifModifiedSinceAtOrAfterLastModificationIsNotModified() {
        let same: HTTPHeaders = ["If-Modified-Since": Self.modified.description]
        #expect(ConditionalRequest.isNotModified(headers: same, entityTag: Self.tag, lastModified: Self.modified))
        let earlier: HTTPHeaders = ["If-Modified-Since": HTTPDate(secondsSince1970: 1_600_000_000).description]
        #expect(!ConditionalRequest.isNotModified(headers: earlier, entityTag: Self.tag, lastModified: Self.modified))
    }

    @Test func unparseableDateIsIgnored() {
        #expect(!ConditionalRequest.isNotModified(headers: ["If-Modified-Since": "yesterday"], entityTag: Self.tag, lastModified: Self.modified))
    }

    @Test func noConditionalHeadersMeansModified() {
        #expect(!ConditionalRequest.isNotModified(headers: [:], entityTag: Self.tag, lastModified: Self.modified))
    }
}
