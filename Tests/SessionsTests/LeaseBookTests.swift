import XCTest
@testable import Sessions

/// The lease bookkeeping without a database: what is renewed when, and when a lease counts as lost.
final class LeaseBookTests: XCTestCase {
    private let a = SessionID.random(), b = SessionID.random()

    func testRenewalIsDueEveryThirdOfTheLeaseLength() {
        var book = LeaseBook(seconds: 9, now: 0)
        XCTAssertFalse(book.renewalDue(now: 100), "nothing held, nothing to renew")
        book.taken(a, epoch: 3, sentAt: 0)
        XCTAssertFalse(book.renewalDue(now: 2.9))
        XCTAssertTrue(book.renewalDue(now: 3))
        XCTAssertEqual(book.startRenewal(now: 3).map(\.1), [3])
        XCTAssertFalse(book.renewalDue(now: 5.9))
        XCTAssertTrue(book.renewalDue(now: 6))
    }

    func testARenewalExtendsFromWhenItWasSentAndLosesWhatTheDatabaseRefused() {
        var book = LeaseBook(seconds: 9, now: 0)
        book.taken(a, epoch: 1, sentAt: 0)
        book.taken(b, epoch: 4, sentAt: 0)
        let asked = book.startRenewal(now: 3)
        XCTAssertEqual(book.finishRenewal(asked: asked, renewed: [a], sentAt: 3), [b])
        XCTAssertEqual(book.leases[a]?.validUntil, 12)
        XCTAssertNil(book.epoch(of: b))
    }

    func testARenewalAnsweredAfterANewTakeDoesNotTouchTheNewLease() {
        var book = LeaseBook(seconds: 9, now: 0)
        book.taken(a, epoch: 1, sentAt: 0)
        let asked = book.startRenewal(now: 3)
        book.taken(a, epoch: 2, sentAt: 4)      // lost and taken again meanwhile
        XCTAssertEqual(book.finishRenewal(asked: asked, renewed: [], sentAt: 3), [])
        XCTAssertEqual(book.leases[a], LeaseBook.Lease(epoch: 2, validUntil: 13))
    }

    func testLeasesNotRenewedInTimeExpireLocally() {
        var book = LeaseBook(seconds: 9, now: 0)
        book.taken(a, epoch: 1, sentAt: 0)
        book.taken(b, epoch: 1, sentAt: 5)
        XCTAssertEqual(book.expire(now: 8.9), [])
        XCTAssertEqual(book.expire(now: 9), [a])
        XCTAssertEqual(book.expire(now: 14), [b])
        XCTAssertTrue(book.leases.isEmpty)
    }

    func testOnlyTheCurrentEpochsRefusalIsALoss() {
        var book = LeaseBook(seconds: 9, now: 0)
        book.taken(a, epoch: 2, sentAt: 0)
        XCTAssertFalse(book.lose(a, epoch: 1), "a refused write of an older epoch is no news")
        XCTAssertEqual(book.epoch(of: a), 2)
        XCTAssertTrue(book.lose(a, epoch: 2))
        XCTAssertFalse(book.lose(a, epoch: 2))
        XCTAssertNil(book.drop(a))
    }
}
