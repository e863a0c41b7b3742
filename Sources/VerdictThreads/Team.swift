/// A fixed team of threads for many short fork-join rounds (the rounds of
/// `eval --jobs`): `perform` runs piece 0 on the calling thread and the
/// others on the team's threads, and returns when all are done. The threads
/// are started once: starting one per round cost each round a stack mapped,
/// protected and unmapped, and every unmapping in a process of several
/// threads interrupts the other cores to flush their address translations,
/// which slowed all their work by a sixth.
public final class Team: @unchecked Sendable {
    /// Guards everything below; its condition is signalled when a round
    /// starts, when a piece ends and when the team stops.
    private let lock = Lock()
    private var round = 0
    private var pending = 0
    private var stopping = false
    private var body: ((Int) -> Void)?
    private var threads: [Threads.Handle] = []
    /// Pieces whose thread could not be started: the caller runs them.
    private var unstaffed: [Int] = []
    /// How many pieces each round has (at least one: the caller's).
    public let size: Int

    public init(size: Int, stackSize: Int = Threads.stackSize) {
        self.size = max(1, size)
        for piece in 1..<self.size {
            if let thread = Threads.start(Threads.Box { [unowned self] in self.serve(piece) }, stackSize: stackSize) {
                threads.append(thread)
            } else {
                unstaffed.append(piece)
            }
        }
    }

    deinit { stop() }

    /// `body(0)`, …, `body(size - 1)`, at once; returns when all are done.
    /// `body` may use what the caller owns: the caller waits for every piece.
    public func perform(_ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            lock.lock()
            self.body = body
            pending = threads.count
            round += 1
            lock.broadcast()
            lock.unlock()
            body(0)
            for piece in unstaffed { body(piece) }
            lock.lock()
            while pending > 0 { lock.wait() }
            self.body = nil
            lock.unlock()
        }
    }

    /// Ends the team's threads (once their current piece is done).
    public func stop() {
        lock.lock()
        stopping = true
        lock.broadcast()
        let all = threads
        threads = []
        lock.unlock()
        for thread in all { Threads.join(thread) }
    }

    private func serve(_ piece: Int) {
        var seen = 0
        lock.lock()
        while true {
            while round == seen && !stopping { lock.wait() }
            if stopping {
                lock.unlock()
                return
            }
            seen = round
            let body = self.body
            lock.unlock()
            body?(piece)
            lock.lock()
            pending -= 1
            if pending == 0 { lock.broadcast() }
        }
    }
}
