// Codec throughput: WebSocketConnection receiving 128-byte masked text messages (as the echo benchmark
// sends them) in 64 KiB reads, and encoding replies. Prints the median of 7 runs.

@main
struct WebSocketBench {
    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func main() {
        let messages = 200_000
        let text = String(repeating: "sketch-stroke-", count: 10).prefix(128)
        var frame: [UInt8] = []
        WebSocketFrameEncoder(role: .client).encode(opcode: .text, payload: Array(text.utf8),
                                                    maskingKey: WebSocketMaskingKey(1, 2, 3, 4), into: &frame)
        var stream: [UInt8] = []
        stream.reserveCapacity(frame.count * messages)
        for _ in 0 ..< messages { stream += frame }

        var receiveRates: [Double] = []
        var sendRates: [Double] = []
        var received = 0
        for _ in 0 ..< 7 {
            var connection = WebSocketConnection()
            var events: [WebSocketConnection.Event] = []
            events.reserveCapacity(1024)
            let clock = ContinuousClock()
            let elapsed = clock.measure {
                stream.withUnsafeBytes { all in
                    var offset = 0
                    while offset < all.count {
                        let end = min(all.count, offset + 65536)
                        events.removeAll(keepingCapacity: true)
                        connection.receive(UnsafeRawBufferPointer(rebasing: all[offset ..< end]), into: &events)
                        received += events.count
                        offset = end
                    }
                }
            }
            receiveRates.append(Double(messages) / seconds(elapsed))

            var bytes = 0
            let sendElapsed = clock.measure {
                for _ in 0 ..< messages { bytes += connection.sendText(String(text))?.count ?? 0 }
            }
            sendRates.append(Double(messages) / seconds(sendElapsed))
        }
        precondition(received == messages * 7, "lost messages")
        let receive = median(receiveRates)
        print("websocket receive: \(Int(receive)) msg/s (\(Int(receive * Double(frame.count) / 1e6)) MB/s), 128-byte masked text, 64 KiB reads")
        print("websocket send:    \(Int(median(sendRates))) msg/s, 128-byte text frames")
    }
}
