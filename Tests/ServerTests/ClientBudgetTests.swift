import Foundation
import Testing
import Transport
@testable import App
@testable import Server

@Suite("Per-client budgets", .serialized)
struct ClientBudgetTests {
    @Test func admissionCountsEachSourceAddressSeparately() {
        let admission = Admission(maxConnections: 10, maxConnectionsPerAddress: 2)
        #expect(admission.decide(address: "10.0.0.1") == .admit)
        #expect(admission.decide(address: "10.0.0.1") == .admit)
        #expect(admission.decide(address: "10.0.0.1") == .refuseWithAnswer)
        #expect(admission.decide(address: "10.0.0.2") == .admit)
        admission.release(.admit, address: "10.0.0.1")
        admission.release(.refuseWithAnswer, address: "10.0.0.1")
        #expect(admission.openConnections(from: "10.0.0.1") == 1)
        #expect(admission.decide(address: "10.0.0.1") == .admit)
        #expect(admission.openConnections == 3)
    }

    @Test func oneAddressOverItsConnectionShareGets503() throws {
        let server = try TestServer(["limits.max_connections_per_address": .integer(2)])
        let first = try RawClient(port: server.httpPort)
        let second = try RawClient(port: server.httpsPort)   // the share spans both listeners
        #expect(try first.get("/").status == 200)
        _ = second
        usleep(100_000)
        let third = try RawClient(port: server.httpPort)
        let refused = try third.readResponse()
        #expect(refused.status == 503)
        #expect(refused.headers["retry-after"] != nil)
        first.hangUp()
        usleep(200_000)
        let fourth = try RawClient(port: server.httpPort)
        #expect(try fourth.get("/").status == 200)
    }

    @Test func partialMessagesOverTheServerBudgetCloseWith1013() throws {
        let server = try TestServer(["limits.max_partial_message_bytes": .integer(1000)])
        let first = try RawClient(port: server.httpPort)
        #expect(try first.upgrade().status == 101)
        first.send(Frames.text(String(repeating: "a", count: 600), fin: false))
        usleep(100_000)
        let second = try RawClient(port: server.httpPort)
        #expect(try second.upgrade().status == 101)
        second.send(Frames.text(String(repeating: "b", count: 600), fin: false))
        #expect(try second.closeCode() == 1013)
        // The first keeps its share and completes its message.
        first.send(Frames.frame(opcode: 0, payload: Array("!".utf8)))
        let echo = try first.readFrame()
        #expect(echo.opcode == 1 && echo.payload.count == 601)
    }

    @Test func budgetIsReturnedWhenMessagesCompleteOrConnectionsClose() {
        let budget = PartialMessageBudget(limit: 100)
        #expect(budget.update(from: 0, to: 60))
        #expect(!budget.update(from: 0, to: 50))
        #expect(budget.update(from: 60, to: 0))
        #expect(budget.update(from: 0, to: 100))
        #expect(budget.heldBytes == 100)
    }

    @Test func fragmentedMessageNotCompletedInTimeClosesWith1008() throws {
        let server = try TestServer(["timeouts.message_completion_ms": .integer(300)])
        let client = try RawClient(port: server.httpPort)
        #expect(try client.upgrade().status == 101)
        let start = Date()
        client.send(Frames.text("part", fin: false))
        // Pings and further fragments do not extend the deadline.
        usleep(150_000)
        client.send(Frames.frame(opcode: 9, payload: []))
        client.send(Frames.frame(opcode: 0, payload: Array("more".utf8), fin: false))
        #expect(try client.closeCode() == 1008)
        #expect(Date().timeIntervalSince(start) < 2)
    }

    @Test func sessionCreationLimiterRefillsPerAddressWithTheClock() {
        let limiter = SessionCreationLimiter(perMinute: 2)
        #expect(limiter.allow("a", now: 0))
        #expect(limiter.allow("a", now: 0))
        #expect(!limiter.allow("a", now: 1))
        #expect(limiter.allow("b", now: 1))
        #expect(limiter.allow("a", now: 31))
        #expect(limiter.retryAfterSeconds == 30)
    }

    @Test func sessionCreationLimiterForgetsQuietAddresses() {
        let limiter = SessionCreationLimiter(perMinute: 1)
        for index in 0..<1100 { _ = limiter.allow("10.0.\(index / 256).\(index % 256)", now: 0) }
        _ = limiter.allow("late", now: 120)
        #expect(limiter.trackedAddresses == 1)
    }
}
