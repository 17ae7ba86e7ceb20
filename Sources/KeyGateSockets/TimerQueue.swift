import KeyGateSystem

/// The event loop's pending deadlines: a binary min-heap ordered by
/// deadline, with an index from timer id to heap position so that a timer
/// whose operation completed first is removed at once (O(log n)) instead of
/// lingering, and holding its registration, until it would have fired.
struct TimerQueue {
    /// One pending deadline: when it passes, the waiter `waiterID` waiting
    /// for `direction` on `registration` times out.
    struct Entry {
        let deadline: Deadline
        let id: UInt64
        let registration: Registration
        let direction: Registration.Direction
        let waiterID: UInt64
    }

    private var heap: [Entry] = []
    private var positions: [UInt64: Int] = [:]
    private var lastID: UInt64 = 0

    /// The number of pending timers.
    var count: Int { heap.count }

    /// The earliest deadline, nil when no timer is pending.
    var earliest: Deadline? { heap.first?.deadline }

    /// Adds a timer and returns its id, for `remove(_:)`.
    mutating func insert(
        deadline: Deadline, registration: Registration, direction: Registration.Direction, waiterID: UInt64
    ) -> UInt64 {
        lastID &+= 1
        let entry = Entry(
            deadline: deadline, id: lastID, registration: registration, direction: direction, waiterID: waiterID)
        heap.append(entry)
        positions[entry.id] = heap.count - 1
        siftUp(heap.count - 1)
        return entry.id
    }

    /// Removes the timer `id` if it is still pending.
    mutating func remove(_ id: UInt64) {
        guard let index = positions.removeValue(forKey: id) else { return }
        let last = heap.count - 1
        if index != last {
            heap.swapAt(index, last)
            positions[heap[index].id] = index
        }
        heap.removeLast()
        if index < heap.count {
            siftDown(index)
            siftUp(index)
        }
    }

    /// Removes every timer whose deadline is at or before `now` and appends
    /// it to `expired`, earliest first.
    mutating func removeExpired(at now: Deadline, into expired: inout [Entry]) {
        while let first = heap.first, first.deadline <= now {
            expired.append(first)
            remove(first.id)
        }
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].deadline < heap[parent].deadline else { return }
            swap(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { return }
            let right = left + 1
            var smallest = left
            if right < heap.count, heap[right].deadline < heap[left].deadline {
                smallest = right
            }
            guard heap[smallest].deadline < heap[parent].deadline else { return }
            swap(parent, smallest)
            parent = smallest
        }
    }

    private mutating func swap(_ a: Int, _ b: Int) {
        heap.swapAt(a, b)
        positions[heap[a].id] = a
        positions[heap[b].id] = b
    }
}
