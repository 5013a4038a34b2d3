/// A FIFO of session ids where each id appears at most once: the round-robin order in which sessions get
/// workers. Served sessions rejoin at the back, so a busy session cannot starve the others.
struct FairQueue {
    private var items: [String] = []
    private var head = 0
    private var members: Set<String> = []

    var isEmpty: Bool { members.isEmpty }
    var count: Int { members.count }

    /// Adds `session` at the back unless it is already waiting.
    mutating func append(_ session: String) {
        guard members.insert(session).inserted else { return }
        items.append(session)
    }

    /// Takes the session at the front.
    mutating func popFirst() -> String? {
        while head < items.count {
            let session = items[head]
            head += 1
            if head > 64 && head * 2 > items.count {
                items.removeFirst(head)
                head = 0
            }
            if members.remove(session) != nil { return session }
        }
        items.removeAll(keepingCapacity: true)
        head = 0
        return nil
    }

    /// Drops `session` wherever it waits.
    mutating func remove(_ session: String) {
        guard members.remove(session) != nil else { return }
        if let index = items[head...].firstIndex(of: session) { items.remove(at: index) }
    }
}
