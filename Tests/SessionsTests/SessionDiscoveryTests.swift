import Dispatch
import XCTest
@testable import Sessions

/// `SessionDiscovery`: lookups of ids unknown to this node run off the caller's thread, one read per id per miss
/// TTL, a bounded number waiting.
final class SessionDiscoveryTests: XCTestCase {
    private final class Clock: @unchecked Sendable { var now = 100.0 }

    /// Outcomes delivered so far, in order.
    private final class Outcomes: @unchecked Sendable {
        private let lock = NSLock()
        private var list: [SessionDiscovery.Outcome] = []
        let delivered = DispatchSemaphore(value: 0)
        func add(_ outcome: SessionDiscovery.Outcome) {
            lock.lock(); list.append(outcome); lock.unlock()
            delivered.signal()
        }
        var all: [SessionDiscovery.Outcome] { lock.lock(); defer { lock.unlock() }; return list }
        func wait(for count: Int) {
            for _ in 0..<count { XCTAssertEqual(delivered.wait(timeout: .now() + 10), .success) }
        }
    }

    private let clock = Clock()
    private let store = MemoryOperationStore()
    private lazy var hub = SessionHub(store: store)

    private func discovery(maxPending: Int = 64) -> SessionDiscovery {
        store.sharedByNodes = true
        return SessionDiscovery(hub: hub, missTTL: 2, maxPending: maxPending, clock: { [clock] in clock.now })
    }

    private func id(_ letter: Character) -> SessionID { SessionID(String(repeating: letter, count: 22))! }

    func testASessionAnotherNodeCreatedIsFoundAndRegistered() {
        let discovery = discovery()
        store.sessionCreated(id("a"), at: 50)
        let outcomes = Outcomes()
        discovery.find(id("a"), then: { outcomes.add($0) })
        outcomes.wait(for: 1)
        XCTAssertEqual(outcomes.all, [.found])
        XCTAssertTrue(hub.contains(id("a")))
        discovery.find(id("a"), then: { outcomes.add($0) })
        XCTAssertEqual(outcomes.all, [.found, .found], "a registered session is answered at once")
        XCTAssertEqual(store.lookups, 1)
    }

    func testTheLookupRunsOffTheCallersThread() {
        let discovery = discovery()
        let gate = DispatchSemaphore(value: 0)
        store.lookupGate = gate
        let outcomes = Outcomes()
        discovery.find(id("b"), then: { outcomes.add($0) })
        XCTAssertEqual(outcomes.all, [], "find returned while the store is still blocked")
        gate.signal()
        outcomes.wait(for: 1)
        XCTAssertEqual(outcomes.all, [.unknown])
    }

    func testAnUnknownIdIsReadOncePerMissTTL() {
        let discovery = discovery()
        let outcomes = Outcomes()
        discovery.find(id("c"), then: { outcomes.add($0) })
        outcomes.wait(for: 1)
        for _ in 0..<5 { discovery.find(id("c"), then: { outcomes.add($0) }) }
        XCTAssertEqual(outcomes.all, Array(repeating: .unknown, count: 6), "answered from memory, at once")
        XCTAssertEqual(store.lookups, 1)
        clock.now += 2
        discovery.find(id("c"), then: { outcomes.add($0) })
        outcomes.wait(for: 6)
        XCTAssertEqual(store.lookups, 2, "read again once the miss expired")
    }

    func testRequestsForAnIdBeingLookedUpShareTheRead() {
        let discovery = discovery()
        let gate = DispatchSemaphore(value: 0)
        store.lookupGate = gate
        let outcomes = Outcomes()
        for _ in 0..<3 { discovery.find(id("d"), then: { outcomes.add($0) }) }
        gate.signal()
        outcomes.wait(for: 3)
        XCTAssertEqual(outcomes.all, [.unknown, .unknown, .unknown])
        XCTAssertEqual(store.lookups, 1)
    }

    func testIdsBeyondThePendingBoundAreAnsweredBusyAtOnce() {
        let discovery = discovery(maxPending: 2)
        let gate = DispatchSemaphore(value: 0)
        store.lookupGate = gate
        let outcomes = Outcomes()
        discovery.find(id("e"), then: { outcomes.add($0) })
        discovery.find(id("f"), then: { outcomes.add($0) })
        discovery.find(id("g"), then: { outcomes.add($0) })
        XCTAssertEqual(outcomes.all, [.busy])
        gate.signal(); gate.signal()
        outcomes.wait(for: 3)
        XCTAssertEqual(store.lookups, 2)
        XCTAssertEqual(outcomes.all, [.busy, .unknown, .unknown])
    }

    func testASingleNodeStoreIsNeverAsked() {
        let discovery = SessionDiscovery(hub: hub)
        let outcomes = Outcomes()
        discovery.find(id("h"), then: { outcomes.add($0) })
        XCTAssertEqual(outcomes.all, [.unknown])
        XCTAssertEqual(store.lookups, 0)
    }
}
