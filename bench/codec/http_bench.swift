// Codec throughput: HTTPRequestParser on pipelined browser-like GET requests in 64 KiB reads, and
// response serialisation. Prints the median of 7 runs.

@main
struct HTTPBench {
    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func main() {
        let request = Array(("GET /js/app.js?v=3 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\n"
            + "Accept: */*\r\nAccept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate\r\nConnection: keep-alive\r\n"
            + "If-None-Match: \"1a2b-65f0c3e1\"\r\n\r\n").utf8)
        let count = 100_000
        var stream: [UInt8] = []
        for _ in 0 ..< count { stream += request }

        var parseRates: [Double] = []
        var serialiseRates: [Double] = []
        var parsed = 0
        for _ in 0 ..< 7 {
            var parser = HTTPRequestParser()
            let clock = ContinuousClock()
            let elapsed = clock.measure {
                stream.withUnsafeBytes { all in
                    var offset = 0
                    while offset < all.count {
                        let chunk = UnsafeRawBufferPointer(rebasing: all[offset ..< min(all.count, offset + 65536)])
                        var used = 0
                        while let request = try! parser.parseNext(chunk, consumed: &used) { parsed += request.headers.count > 0 ? 1 : 0 }
                        offset += chunk.count
                    }
                }
            }
            parseRates.append(Double(count) / seconds(elapsed))

            let response = HTTPResponse(status: .ok, headers: ["Content-Type": MIMEType.forPath("/js/app.js"), "ETag": "\"1a2b-65f0c3e1\""],
                                        body: [UInt8](repeating: 0x61, count: 512))
            var bytes = 0
            let serialiseElapsed = clock.measure {
                for i in 0 ..< count { bytes += response.serialized(date: HTTPDate(secondsSince1970: 1_700_000_000 + i), keepAlive: true).count }
            }
            serialiseRates.append(Double(count) / seconds(serialiseElapsed))
        }
        precondition(parsed == count * 7, "lost requests")
        print("http parse:     \(Int(median(parseRates))) req/s (\(request.count)-byte pipelined GETs, 64 KiB reads)")
        print("http serialise: \(Int(median(serialiseRates))) resp/s (200 + 512-byte body, fresh Date each)")
    }
}
