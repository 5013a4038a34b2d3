/// Content types for static files, chosen by file extension.
public enum MIMEType {
    /// Extension (lowercase, without dot) → `Content-Type`. Text types say `charset=utf-8`.
    public static let byExtension: [String: String] = [
        "html": "text/html; charset=utf-8", "htm": "text/html; charset=utf-8",
        "css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8",
        "mjs": "text/javascript; charset=utf-8", "json": "application/json", "map": "application/json",
        "txt": "text/plain; charset=utf-8", "md": "text/markdown; charset=utf-8", "csv": "text/csv; charset=utf-8",
        "xml": "application/xml", "svg": "image/svg+xml", "png": "image/png", "jpg": "image/jpeg",
        "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp", "ico": "image/x-icon",
        "wasm": "application/wasm", "woff": "font/woff", "woff2": "font/woff2", "pdf": "application/pdf",
        "webmanifest": "application/manifest+json",
    ]

    /// The type for unknown extensions: browsers will not sniff it into something executable.
    public static let fallback = "application/octet-stream"

    /// The `Content-Type` for a file path (by its last extension, case-insensitive).
    public static func forPath(_ path: String) -> String {
        let name = path.split(separator: "/").last ?? Substring(path)
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return fallback }
        let ext = String(name[name.index(after: dot)...]).lowercased()
        return byExtension[ext] ?? fallback
    }
}
