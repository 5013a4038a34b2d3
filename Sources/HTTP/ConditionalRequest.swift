/// Conditional GET (RFC 9110 §13): decides whether a cached copy is still fresh, so the server can
/// answer 304 Not Modified without a body.
public enum ConditionalRequest {
    /// A strong validator for a static file from its size and modification time, e.g. `"1a2b-65f0c3e1"`.
    public static func entityTag(size: Int, modificationTime: Int) -> String {
        "\"\(String(size, radix: 16))-\(String(modificationTime, radix: 16))\""
    }

    /// Whether a GET/HEAD with `headers` may be answered 304 for a resource with `entityTag` and
    /// `lastModified`.
    ///
    /// `If-None-Match` wins when present (`*` or any listed tag matching by weak comparison); only
    /// without it is `If-Modified-Since` consulted (fresh when the resource is not newer than the
    /// date). An unparseable date is ignored.
    public static func isNotModified(headers: HTTPHeaders, entityTag: String?, lastModified: HTTPDate?) -> Bool {
        let noneMatch = headers.values(for: "If-None-Match")
        if !noneMatch.isEmpty {
            guard let entityTag else { return false }
            let current = opaque(entityTag)
            for list in noneMatch {
                for candidate in list.split(separator: ",") {
                    let tag = HTTPHeaders.trimmed(candidate)
                    if tag == "*" || opaque(tag) == current { return true }
                }
            }
            return false
        }
        if let since = headers["If-Modified-Since"], let sinceDate = HTTPDate(since), let lastModified {
            return lastModified <= sinceDate
        }
        return false
    }

    /// Weak comparison ignores the `W/` prefix.
    private static func opaque(_ tag: some StringProtocol) -> Substring {
        tag.hasPrefix("W/") ? Substring(tag).dropFirst(2) : Substring(tag)
    }
}
