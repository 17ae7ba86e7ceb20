import KeyGateSystem
import Glibc

/// A small bounded queue from a thread that may block (the one reading
/// standard input) to an async reader: when the queue is full the thread
/// waits, so input is read only as fast as it is used. A script piped into
/// `keygate chat` is then never read far ahead of the network.
///
/// `@unchecked Sendable` at the C boundary: the state is guarded by a
/// pthread mutex, with a condition the producer thread waits on (a
/// dedicated thread, never one of the cooperative pool).
final class InputHandoff<Element: Sendable>: @unchecked Sendable, AsyncSequence {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let roomAvailable: UnsafeMutablePointer<pthread_cond_t>
    private var items: [Element] = []
    private var first = 0
    private var finished = false
    private var abandoned = false
    private var reader: CheckedContinuation<Element?, Never>?
    /// Elements waiting at most; the producer blocks beyond.
    let capacity: Int

    init(capacity: Int) {
        precondition(capacity > 0, "a handoff holds at least one element")
        self.capacity = capacity
        mutex = .allocate(capacity: 1)
        roomAvailable = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(roomAvailable, nil)
    }

    deinit {
        pthread_cond_destroy(roomAvailable)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        roomAvailable.deallocate()
    }

    /// Producer thread: hands over `element`, waiting while the queue is
    /// full. Returns false once the reader has gone (stop producing).
    func put(_ element: Element) -> Bool {
        pthread_mutex_lock(mutex)
        while items.count - first >= capacity && !abandoned {
            pthread_cond_wait(roomAvailable, mutex)
        }
        guard !abandoned else {
            pthread_mutex_unlock(mutex)
            return false
        }
        if let reader {
            self.reader = nil
            pthread_mutex_unlock(mutex)
            reader.resume(returning: element)
            return true
        }
        items.append(element)
        pthread_mutex_unlock(mutex)
        return true
    }

    /// Producer thread: no more elements.
    func finish() {
        pthread_mutex_lock(mutex)
        finished = true
        let waiting = reader
        reader = nil
        pthread_mutex_unlock(mutex)
        waiting?.resume(returning: nil)
    }

    /// Reader: the next element, or nil at the end (or once cancelled,
    /// which also tells the producer to stop).
    func next() async -> Element? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Element?, Never>) in
                pthread_mutex_lock(mutex)
                if first < items.count {
                    let element = items[first]
                    first += 1
                    if first == items.count {
                        items.removeAll(keepingCapacity: true)
                        first = 0
                    }
                    pthread_cond_signal(roomAvailable)
                    pthread_mutex_unlock(mutex)
                    continuation.resume(returning: element)
                } else if finished || abandoned || Task.isCancelled {
                    pthread_mutex_unlock(mutex)
                    continuation.resume(returning: nil)
                } else {
                    reader = continuation
                    pthread_mutex_unlock(mutex)
                }
            }
        } onCancel: {
            abandon()
        }
    }

    /// The reader has gone: the producer's waits end and it stops.
    func abandon() {
        pthread_mutex_lock(mutex)
        abandoned = true
        let waiting = reader
        reader = nil
        pthread_cond_broadcast(roomAvailable)
        pthread_mutex_unlock(mutex)
        waiting?.resume(returning: nil)
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        let handoff: InputHandoff

        mutating func next() async -> Element? {
            await handoff.next()
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(handoff: self)
    }
}
