import Foundation
import Logging
import NIOConcurrencyHelpers
import VerdictCompiler
import VerdictModel
import VerdictOutput

/// Why the last reload was not used: every problem, with its position.
public struct ReloadFailure: Sendable {
    public var at: Date
    public var diagnostics: [PolicyDiagnostic]
    /// As `verdict check` prints them: `file:line:column: error: message [CODE]`, source line, caret.
    public var text: String
}

/// What one load or reload did.
public enum ReloadOutcome: Sendable, Equatable {
    /// A new set is in force.
    case swapped(generation: Int)
    /// The set loaded and is the same as the one in force (same digests): nothing changed.
    case unchanged
    /// The set did not load: the last good set (if any) stays in force.
    case failed(errors: Int)
}

/// The policy set in force, and what the last reload said. Loads run one at
/// a time (the watcher's task and startup call `reload`); requests read
/// `current` at any time, from any thread, and get a whole set.
public final class PolicyStore: Sendable {
    public let directory: String
    let metrics: ServerMetrics?
    let logger: Logger

    private struct State {
        var current: LoadedSet?
        var lastFailure: ReloadFailure?
        var generation = 0
        var reloads = 0
    }

    private let state = NIOLockedValueBox(State())
    /// Serializes loads (reload is called from the watcher and from tests).
    private let loading = NIOLock()

    public init(directory: String, metrics: ServerMetrics? = nil, logger: Logger) {
        self.directory = directory
        self.metrics = metrics
        self.logger = logger
    }

    /// The set in force; nil until one has loaded.
    public var current: LoadedSet? { state.withLockedValue { $0.current } }
    /// The last reload's problems; nil when it loaded (or none failed yet).
    public var lastFailure: ReloadFailure? { state.withLockedValue { $0.lastFailure } }

    /// Loads the folder, checks it, and swaps it in whole when it loads; when
    /// it does not, the set in force stays and the problems are kept, logged
    /// and counted. `reason` says what started it (startup, an edit, SIGHUP).
    @discardableResult
    public func reload(reason: String) -> ReloadOutcome {
        loading.withLock {
            let started = ContinuousClock.now
            // On a thread with an explicit stack, as `verdict` loads: the
            // caller's (a task's, or the main thread at `ulimit -s`) can be
            // too small for the deepest policy the limits allow (docs/limits.md).
            let directory = self.directory
            let loaded: Result<PolicySet, PolicyLoadError> = Threads.run {
                do throws(PolicyLoadError) {
                    return .success(try PolicySet.load(directory: directory, warnings: false))
                } catch {
                    return .failure(error)
                }
            }
            let now = Date()
            let elapsed = ContinuousClock.now - started
            let outcome: ReloadOutcome
            switch loaded {
            case .success(let set):
                outcome = state.withLockedValue { s in
                    s.lastFailure = nil
                    s.reloads += 1
                    let candidate = LoadedSet(policies: set, generation: s.generation + 1, previous: s.current, now: now)
                    if let old = s.current, old.sameContent(as: candidate) { return .unchanged }
                    s.generation += 1
                    s.current = candidate
                    return .swapped(generation: s.generation)
                }
                if let current { metrics?.policySetInForce(current) }
                var meta: Logger.Metadata = [
                    "reason": .string(reason), "load_ms": .stringConvertible(Self.milliseconds(elapsed)),
                ]
                if let current {
                    meta["set"] = .string(current.setDigest)
                    meta["policies"] = .string(current.allIdentities)
                }
                switch outcome {
                case .swapped(let g):
                    meta["generation"] = .stringConvertible(g)
                    logger.info("policies loaded", metadata: meta)
                default:
                    logger.info("policies reloaded, unchanged", metadata: meta)
                }
            case .failure(let error):
                let text = Self.render(error)
                let failure = ReloadFailure(at: now, diagnostics: error.diagnostics, text: text)
                state.withLockedValue { s in
                    s.lastFailure = failure
                    s.reloads += 1
                }
                outcome = .failed(errors: error.diagnostics.filter { $0.severity == .error }.count)
                var meta: Logger.Metadata = [
                    "reason": .string(reason), "errors": .string(text),
                    "error_count": .stringConvertible(error.diagnostics.count),
                ]
                meta["kept"] = .string(current?.setDigest ?? "none")
                logger.error("policies did not load; the set in force stays", metadata: meta)
            }
            metrics?.reloaded(outcome, failure: lastFailure)
            return outcome
        }
    }

    /// The problems as `verdict check` prints them, with a count.
    static func render(_ error: PolicyLoadError) -> String {
        var text = ""
        for d in error.diagnostics {
            text += DiagnosticRenderer.render(d, source: error.sources[d.file])
        }
        let count = error.diagnostics.count
        return text + "\(count) problem\(count == 1 ? "" : "s") in the policies\n"
    }

    static func milliseconds(_ d: Duration) -> Double {
        let (s, atto) = d.components
        return (Double(s) * 1000 + Double(atto) / 1e15).rounded(toPlaces: 3)
    }
}

extension Double {
    func rounded(toPlaces n: Int) -> Double {
        let f = pow(10, Double(n))
        return (self * f).rounded() / f
    }
}
