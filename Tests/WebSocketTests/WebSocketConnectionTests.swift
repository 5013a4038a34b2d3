import Testing
@testable import WebSocket

@Suite struct WebSocketConnectionTests {
    typealias Event = WebSocketConnection.Event

    // Messages.

    @Test func maskedTextFrameDeliversText() {
        #expect(receiveWhole(clientText("hello")) == [.text("hello")])
    }

    @Test func binaryFrameDeliversBytes() {
        #expect(receiveWhole(clientFrame(.binary, [0, 1, 255])) == [.binary([0, 1, 255])])
    }

    @Test func emptyTextMessageIsDelivered() {
        #expect(receiveWhole(clientText("")) == [.text("")])
    }

    @Test func fragmentedTextWithInterleavedPingIsReassembled() {
        let stream = clientText("Hel", fin: false) + clientFrame(.ping, [7]) + clientFrame(.continuation, Array("lo".utf8), fin: false)
            + clientFrame(.pong, [8]) + clientFrame(.continuation, Array(" world".utf8))
        let expected: [Event] = [.ping([7]), .send([0x8A, 0x01, 7]), .pong([8]), .text("Hello world")]
        #expect(receiveWhole(stream) == expected)
        #expect(receiveByteByByte(stream) == expected)
    }

    @Test func fragmentedBinaryIsReassembled() {
        let stream = clientFrame(.binary, [1], fin: false) + clientFrame(.continuation, [2], fin: false) + clientFrame(.continuation, [3])
        #expect(receiveWhole(stream) == [.binary([1, 2, 3])])
    }

    @Test func multiByteCharacterSplitAcrossFragmentsIsValid() {
        let euro = Array("€".utf8)
        let stream = clientFrame(.text, [euro[0]], fin: false) + clientFrame(.continuation, [euro[1]], fin: false)
            + clientFrame(.continuation, [euro[2]])
        #expect(receiveWhole(stream) == [.text("€")])
    }

    @Test func pingIsAnsweredWithPongCarryingTheSamePayload() {
        let payload = Array("Hello".utf8)
        #expect(receiveWhole(clientFrame(.ping, payload)) == [.ping(payload), .send([0x8A, 0x05] + payload)])
    }

    @Test func pongIsReported() {
        #expect(receiveWhole(clientFrame(.pong, [1, 2])) == [.pong([1, 2])])
    }

    // Fragmentation refusals.

    @Test func continuationWithoutStartFailsWith1002() {
        #expect(receiveWhole(clientFrame(.continuation, [1])) == [.send(serverClose(1002)), .fail(.protocolError)])
    }

    @Test func newDataFrameDuringFragmentedMessageFailsWith1002() {
        let stream = clientText("a", fin: false) + clientText("b")
        #expect(receiveWhole(stream) == [.send(serverClose(1002)), .fail(.protocolError)])
    }

    @Test func protocolViolationsFailWith1002() {
        var unmasked: [UInt8] = [0x81, 0x01, 0x41]
        #expect(receiveWhole(unmasked) == [.send(serverClose(1002)), .fail(.protocolError)])
        unmasked = clientText("x")
        unmasked[0] |= 0x40
        #expect(receiveWhole(unmasked) == [.send(serverClose(1002)), .fail(.protocolError)])
        #expect(receiveWhole([0x83, 0x80, 0, 0, 0, 0]) == [.send(serverClose(1002)), .fail(.protocolError)])
        #expect(receiveWhole(clientFrame(.ping, [], fin: false)) == [.send(serverClose(1002)), .fail(.protocolError)])
        #expect(receiveWhole(clientFrame(.ping, Array(repeating: 0, count: 126))) == [.send(serverClose(1002)), .fail(.protocolError)])
        #expect(receiveWhole([0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0]) == [.send(serverClose(1002)), .fail(.protocolError)])
    }

    // UTF-8.

    @Test func invalidUTF8TextFailsWith1007() {
        #expect(receiveWhole(clientFrame(.text, [0x41, 0xC0, 0x80])) == [.send(serverClose(1007)), .fail(.invalidFramePayloadData)])
    }

    @Test func invalidUTF8InFirstFragmentFailsBeforeTheMessageEnds() {
        var connection = WebSocketConnection()
        let events = connection.receive(clientFrame(.text, [0x41, 0xED, 0xA0], fin: false))
        #expect(events == [.send(serverClose(1007)), .fail(.invalidFramePayloadData)])
        #expect(connection.state == .closed)
    }

    @Test func invalidUTF8FailsWhileTheFrameIsStillArriving() {
        var connection = WebSocketConnection()
        let frame = clientFrame(.text, Array("ok".utf8) + [0xFF] + Array(repeating: 0x41, count: 100))
        // Header (2 + 4 mask bytes) and the first three payload bytes only.
        let events = connection.receive(Array(frame[..<9]))
        #expect(events == [.send(serverClose(1007)), .fail(.invalidFramePayloadData)])
    }

    @Test func incompleteSequenceAtMessageEndFailsWith1007() {
        let stream = clientFrame(.text, [0x41, 0xE2], fin: false) + clientFrame(.continuation, [0x82])
        #expect(receiveWhole(stream) == [.send(serverClose(1007)), .fail(.invalidFramePayloadData)])
    }

    @Test func binaryMessagesAreNotUTF8Checked() {
        #expect(receiveWhole(clientFrame(.binary, [0xFF, 0xC0])) == [.binary([0xFF, 0xC0])])
    }

    // Size limit.

    @Test func defaultLimitIsOneMebibyte() {
        #expect(WebSocketConnection().maxMessageLength == 1 << 20)
        let atLimit = clientFrame(.binary, Array(repeating: 1, count: 1 << 20))
        #expect(receiveWhole(atLimit) == [.binary(Array(repeating: 1, count: 1 << 20))])
        // 1 MiB + 1 refused from the header alone: only the 10 header bytes and the mask are sent.
        let header: [UInt8] = [0x82, 0xFF, 0, 0, 0, 0, 0, 0x10, 0, 1, 1, 2, 3, 4]
        #expect(receiveWhole(header) == [.send(serverClose(1009)), .fail(.messageTooBig)])
    }

    @Test func fragmentsExceedingTheLimitTogetherFailWith1009() {
        let stream = clientFrame(.binary, Array(repeating: 1, count: 60), fin: false) + clientFrame(.continuation, Array(repeating: 1, count: 41))
        #expect(receiveWhole(stream, maxMessageLength: 100) == [.send(serverClose(1009)), .fail(.messageTooBig)])
        let fits = clientFrame(.binary, Array(repeating: 1, count: 60), fin: false) + clientFrame(.continuation, Array(repeating: 1, count: 40))
        #expect(receiveWhole(fits, maxMessageLength: 100) == [.binary(Array(repeating: 1, count: 100))])
    }

    @Test func continuationHeaderAboveRemainingRoomFailsBeforeItsPayload() {
        var connection = WebSocketConnection(maxMessageLength: 100)
        let firstFragment = connection.receive(clientFrame(.binary, Array(repeating: 1, count: 90), fin: false))
        #expect(firstFragment == [])
        // Header of a 20-byte continuation: 90 + 20 > 100.
        let oversizedHeader = connection.receive([0x80, 0x94])
        #expect(oversizedHeader == [.send(serverClose(1009)), .fail(.messageTooBig)])
    }

    // Closing handshake.

    @Test func closeFrameIsAnsweredWithTheSameCodeThenClosed() {
        var connection = WebSocketConnection()
        let events = connection.receive(clientClose(1001, "bye"))
        #expect(events == [.closed(.goingAway, "bye")])
        #expect(connection.state == .closeReceived)
        let reply = connection.answerClose()
        #expect(reply == serverClose(1001))
        #expect(connection.state == .closed)
        let secondReply = connection.answerClose()
        #expect(secondReply == nil)
    }

    @Test func emptyCloseIsAnsweredWith1000AndReportedAs1005() {
        let (events, reply) = receiveAndAnswerClose(clientFrame(.close))
        #expect(events == [.closed(.noStatusReceived, "")])
        #expect(reply == serverClose(1000))
    }

    /// Issue: data frames that arrived in the same read as the close frame lost their replies, because the
    /// connection was already closed when the transport handed those messages to the application.
    @Test func messagesBeforeCloseFrameInSameReadAreDeliveredInOrderAndMayBeAnswered() {
        var connection = WebSocketConnection()
        let stream = clientText("one") + clientFrame(.binary, [1, 2]) + clientText("tw", fin: false)
            + clientFrame(.ping, [7]) + clientFrame(.continuation, Array("o".utf8)) + clientClose(1000, "bye")
            + clientText("after the close")
        let events = connection.receive(stream)
        #expect(events == [.text("one"), .binary([1, 2]), .ping([7]), .send([0x8A, 0x01, 7]), .text("two"),
                           .closed(.normalClosure, "bye")])
        #expect(connection.state == .closeReceived)
        // Replies to those messages still go out before our close frame; pings and new closes do not.
        let answer = connection.sendText("re: one")
        #expect(answer == [0x81, 0x07] + Array("re: one".utf8))
        let binaryAnswer = connection.sendBinary([3])
        #expect(binaryAnswer == [0x82, 0x01, 3])
        let ping = connection.sendPing()
        #expect(ping == nil)
        let ownClose = connection.close(code: .goingAway)
        #expect(ownClose == nil)
        let reply = connection.answerClose()
        #expect(reply == serverClose(1000))
        // After our close frame no data frame may follow (RFC 6455 §5.5.1), and input stays ignored.
        let late = connection.sendText("late")
        #expect(late == nil)
        #expect(connection.receive(clientText("more")) == [])
        #expect(receiveByteByByte(stream) == events)
    }

    @Test func closeWithReservedCodeFailsWith1002() {
        #expect(receiveWhole(clientClose(1005)) == [.send(serverClose(1002)), .fail(.protocolError)])
        #expect(receiveWhole(clientClose(999)) == [.send(serverClose(1002)), .fail(.protocolError)])
        #expect(receiveWhole(clientClose(2000)) == [.send(serverClose(1002)), .fail(.protocolError)])
    }

    @Test func closeWithPrivateCodeIsAccepted() {
        let (events, reply) = receiveAndAnswerClose(clientClose(4001))
        #expect(events == [.closed(WebSocketCloseCode(4001), "")])
        #expect(reply == serverClose(4001))
    }

    @Test func closeWithOneBytePayloadFailsWith1002() {
        #expect(receiveWhole(clientFrame(.close, [0x03])) == [.send(serverClose(1002)), .fail(.protocolError)])
    }

    @Test func closeWithInvalidUTF8ReasonFailsWith1007() {
        #expect(receiveWhole(clientFrame(.close, [0x03, 0xE8, 0xFF])) == [.send(serverClose(1007)), .fail(.invalidFramePayloadData)])
    }

    @Test func serverInitiatedCloseWaitsForTheReply() {
        var connection = WebSocketConnection()
        let closeFrame = connection.close(code: .goingAway, reason: "shutdown")
        #expect(closeFrame == [0x88, 0x0A, 0x03, 0xE9] + Array("shutdown".utf8))
        #expect(connection.state == .closing)
        let textWhileClosing = connection.sendText("late")
        #expect(textWhileClosing == nil)
        let secondClose = connection.close()
        #expect(secondClose == nil)
        // Data the peer sent before seeing our close is still delivered; pings are not answered.
        let inFlight = connection.receive(clientText("in flight") + clientFrame(.ping, [1]))
        #expect(inFlight == [.text("in flight"), .ping([1])])
        let reply = connection.receive(clientClose(1001))
        #expect(reply == [.closed(.goingAway, "")])
        #expect(connection.state == .closed)
        let answer = connection.answerClose()   // ours is already sent
        #expect(answer == nil)
    }

    @Test func violationWhileClosingFailsWithoutASecondCloseFrame() {
        var connection = WebSocketConnection()
        _ = connection.close()
        let violation = connection.receive([0x81, 0x00])
        #expect(violation == [.fail(.protocolError)])
    }

    @Test func closedConnectionIgnoresInputAndRefusesSends() {
        var connection = WebSocketConnection()
        _ = connection.receive(clientClose(1000))
        _ = connection.answerClose()
        let afterClose = connection.receive(clientText("after"))
        #expect(afterClose == [])
        let text = connection.sendText("x")
        #expect(text == nil)
        let binary = connection.sendBinary([1])
        #expect(binary == nil)
        let ping = connection.sendPing()
        #expect(ping == nil)
    }

    @Test func bytesAfterCloseFrameInSameReadAreIgnored() {
        let (events, reply) = receiveAndAnswerClose(clientClose(1000) + clientText("ignored"))
        #expect(events == [.closed(.normalClosure, "")])
        #expect(reply == serverClose(1000))
    }

    // Sending.

    @Test func sendsAreUnmaskedServerFrames() throws {
        var connection = WebSocketConnection()
        let text = connection.sendText("Hello")
        #expect(text == [0x81, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F])
        let binary = connection.sendBinary([1, 2])
        #expect(binary == [0x82, 0x02, 1, 2])
        let ping = connection.sendPing([9])
        #expect(ping == [0x89, 0x01, 9])
        let bigFrame = connection.sendBinary(Array(repeating: 0, count: 70_000))
        let big = try #require(bigFrame)
        var client = WebSocketFrameDecoder(role: .client, maxPayloadLength: .max)
        let decoded = try client.decodeAll(big)
        #expect(decoded.first?.payload.count == 70_000)
    }

    @Test func pingPayloadIsCutTo125Bytes() {
        var connection = WebSocketConnection()
        let ping = connection.sendPing(Array(repeating: 1, count: 200))
        #expect(ping?.count == 2 + 125)
    }

    // Chunking invariance.

    @Test func byteByByteFeedingMatchesWholeChunkForAConversation() {
        let stream = clientText("one") + clientFrame(.binary, Array(repeating: 5, count: 300), fin: false)
            + clientFrame(.ping, Array("p".utf8)) + clientFrame(.continuation, Array(repeating: 6, count: 70_000))
            + clientText("Grüße 😀") + clientClose(1000, "done")
        let whole = receiveWhole(stream)
        #expect(whole.count == 6)
        #expect(receiveByteByByte(stream) == whole)
    }

    @Test(arguments: [
        clientFrame(.continuation, [1]),
        clientText("a", fin: false) + clientText("b"),
        clientFrame(.text, [0x41, 0xFF, 0x41, 0x41]),
        clientClose(1004),
        clientFrame(.close, [0x03]),
        [0x81, 0x01, 0x41],
    ])
    func byteByByteFeedingMatchesWholeChunkForFailures(stream: [UInt8]) {
        let whole = receiveWhole(stream)
        #expect(whole.last.map { if case .fail = $0 { true } else { false } } == true)
        #expect(receiveByteByByte(stream) == whole)
    }

    @Test func partialMessageBytesCountFragmentsAndTheDataFrameArriving() {
        var connection = WebSocketConnection()
        var events: [WebSocketConnection.Event] = []
        #expect(!connection.isReceivingMessage)
        clientText("abcd", fin: false).withUnsafeBytes { connection.receive($0, into: &events) }
        #expect(connection.partialMessageBytes == 4)
        #expect(connection.isReceivingMessage)
        let next = clientFrame(.continuation, Array("efgh".utf8), fin: true)
        next.prefix(next.count - 2).withUnsafeBytes { connection.receive($0, into: &events) }
        #expect(connection.partialMessageBytes == 6)
        next.suffix(2).withUnsafeBytes { connection.receive($0, into: &events) }
        #expect(connection.partialMessageBytes == 0)
        #expect(!connection.isReceivingMessage)
        #expect(events == [.text("abcdefgh")])
        // A control frame arriving is not a message.
        let ping = clientFrame(.ping, Array("12345".utf8))
        ping.prefix(ping.count - 1).withUnsafeBytes { connection.receive($0, into: &events) }
        #expect(connection.partialMessageBytes == 0)
        #expect(!connection.isReceivingMessage)
    }
}
