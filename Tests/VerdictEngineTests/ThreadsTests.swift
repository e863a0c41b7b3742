#if canImport(Glibc)
    import Glibc
#endif
import Testing
import VerdictModel

/// The thread helpers under `eval --jobs` and loading (run under
/// ThreadSanitizer in CI with the rest of the suite).
@Suite struct ThreadsTests {
    final class Counts: @unchecked Sendable {
        var perPiece: [Int]
        init(_ n: Int) { perPiece = Array(repeating: 0, count: n) }
    }

    @Test func aTeamRunsEachPieceOncePerRoundForManyRounds() {
        let team = Team(size: 3)
        let counts = Counts(3)
        var sums: [Int] = []
        for round in 0..<500 {
            // Each piece writes only its own slot; the caller reads after `perform`.
            var parts = [0, 0, 0]
            parts.withUnsafeMutableBufferPointer { out in
                team.perform { piece in
                    out[piece] = round * 10 + piece
                    counts.perPiece[piece] += 1
                }
            }
            sums.append(parts.reduce(0, +))
        }
        team.stop()
        team.stop()
        #expect(counts.perPiece == [500, 500, 500])
        #expect(sums == (0..<500).map { $0 * 30 + 3 })
    }

    @Test func pieceZeroRunsOnTheCallersThread() {
        let me = pthread_self()
        var onCaller = [false, false]
        onCaller.withUnsafeMutableBufferPointer { out in
            Team(size: 2).perform { piece in out[piece] = pthread_equal(pthread_self(), me) != 0 }
        }
        #expect(onCaller == [true, false])
        var iterationZero = [false, false]
        iterationZero.withUnsafeMutableBufferPointer { out in
            Threads.concurrentPerform(iterations: 2) { i in out[i] = pthread_equal(pthread_self(), me) != 0 }
        }
        #expect(iterationZero == [true, false])
    }

    final class Freed: @unchecked Sendable {
        let done: UnsafeMutablePointer<Bool>
        init(_ done: UnsafeMutablePointer<Bool>) { self.done = done }
        deinit { done.pointee = true }
    }

    @Test func awaitingReleasesWaitsUntilTheValueIsFreed() {
        let done = UnsafeMutablePointer<Bool>.allocate(capacity: 1)
        defer { done.deallocate() }
        done.pointee = false
        Threads.release(Freed(done))
        Threads.awaitReleases()
        #expect(done.pointee)
    }
}
