internal import CYAML
import VerdictThreads


/// libyaml's parser on a thread of its own for a large file, its events
/// handed over in batches: scanning and parsing (about a third of reading a
/// 16 MB catalogue) then overlap building the tree. An event's strings stay
/// libyaml's allocations until the consumer deletes the event, so nothing is
/// copied. The queue holds a bounded number of batches: a slow consumer
/// makes the parser wait, memory stays flat.
final class EventPipeline: @unchecked Sendable {
    static let batchSize = 2048
    static let maxQueued = 8

    /// Guards the fields below; signalled whenever one of them changes.
    private let lock = Lock()
    private var queue: [[yaml_event_t]] = []
    /// The parser has stopped: at the end of the stream, or on an error.
    private var finished = false
    /// The parser stopped on an error (its state says which).
    private var failed = false
    /// The consumer wants no more events.
    private var cancelled = false
    private let parser: UnsafeMutablePointer<yaml_parser_t>

    init(parser: UnsafeMutablePointer<yaml_parser_t>) {
        self.parser = parser
    }

    deinit {
        // Events the consumer never took (it stopped early) are freed here.
        for batch in queue {
            for var event in batch { yaml_event_delete(&event) }
        }
    }

    /// Runs the parser on a new thread; false when none could be started
    /// (the caller then parses on its own thread).
    func start() -> Bool {
        thread = Threads.spawn { [self] in produce() }
        return thread != nil
    }

    private var thread: Threads.Handle?

    /// Waits for the parser's thread to end (after `cancel()` or the last batch).
    func join() {
        if let t = thread { Threads.join(t) }
        thread = nil
    }

    private func produce() {
        var batch: [yaml_event_t] = []
        batch.reserveCapacity(Self.batchSize)
        var ok = true
        while true {
            var event = yaml_event_t()
            guard yaml_parser_parse(parser, &event) == 1 else {
                ok = false
                break
            }
            let end = event.type == YAML_STREAM_END_EVENT
            batch.append(event)
            if end { break }
            if batch.count == Self.batchSize {
                guard push(batch) else { return }
                batch.removeAll(keepingCapacity: true)
            }
        }
        lock.lock()
        if cancelled {
            for var event in batch { yaml_event_delete(&event) }
        } else if !batch.isEmpty {
            queue.append(batch)
        }
        finished = true
        failed = !ok
        lock.broadcast()
        lock.unlock()
    }

    /// Queues a batch, waiting while the queue is full; false when cancelled
    /// (the batch's events are freed).
    private func push(_ batch: [yaml_event_t]) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        while queue.count >= Self.maxQueued && !cancelled { lock.wait() }
        if cancelled {
            for var event in batch { yaml_event_delete(&event) }
            finished = true
            lock.broadcast()
            return false
        }
        queue.append(batch)
        lock.broadcast()
        return true
    }

    enum Next {
        case events([yaml_event_t])
        /// No more events; `failed` when the parser stopped on an error.
        case end(failed: Bool)
    }

    /// The next batch, waiting for the parser if it has none ready.
    func next() -> Next {
        lock.lock()
        defer { lock.unlock() }
        while queue.isEmpty && !finished { lock.wait() }
        if queue.isEmpty { return .end(failed: failed) }
        let batch = queue.removeFirst()
        lock.broadcast()
        return .events(batch)
    }

    /// Asks the parser to stop (the consumer found a fatal problem).
    func cancel() {
        lock.lock()
        cancelled = true
        lock.broadcast()
        lock.unlock()
    }
}
