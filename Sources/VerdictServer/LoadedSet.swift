import Foundation
import NIOConcurrencyHelpers
import VerdictCompiler
import VerdictOutput
import VerdictRuntime

/// One loaded policy set, never changed once built. A request takes the set
/// in force when it starts and answers every one of its tickets with it, so
/// a reload can never mix two sets in one answer or one response.
public final class LoadedSet: Sendable {
    public let policies: PolicySet
    /// 1 for the first set loaded, then one more for each set swapped in.
    public let generation: Int
    /// When each policy (by index) came into force: a reload that leaves a
    /// policy's digest as it was keeps its time.
    public let loadedAt: [Date]
    /// When this set was swapped in.
    public let setLoadedAt: Date
    /// `sha256:` of the set's `name version digest` lines: one id for the whole set.
    public let setDigest: String
    /// `name version digest` per policy (the `Verdict-Policy` header's items).
    public let identities: [String]
    /// Every policy of the set, comma-separated (the header of a response that
    /// may hold answers from any of them).
    public let allIdentities: String

    /// Plans, writers and idle sinks, per ask list and explain flag.
    private let prepared: NIOLockedValueBox<[PlanKey: Prepared]>

    init(policies: PolicySet, generation: Int, previous: LoadedSet?, now: Date) {
        self.policies = policies
        self.generation = generation
        self.setLoadedAt = now
        let identities = policies.policies.map { p in
            [p.name, p.identity.version, p.digest].compactMap { $0 }.joined(separator: " ")
        }
        self.identities = identities
        self.allIdentities = identities.joined(separator: ", ")
        self.setDigest = "sha256:" + SHA256.hex(Array(identities.joined(separator: "\n").utf8))
        self.loadedAt = policies.policies.map { p in
            guard let previous, let i = previous.policies.policies.firstIndex(where: { $0.digest == p.digest }) else {
                return now
            }
            return previous.loadedAt[i]
        }
        self.prepared = NIOLockedValueBox([:])
    }

    /// Whether both sets hold the same policies (the same digests, in order).
    func sameContent(as other: LoadedSet) -> Bool { identities == other.identities }

    struct PlanKey: Hashable {
        var ask: [String]
        var explain: Bool
    }

    /// What a request with one ask list needs, made once per set and kept.
    final class Prepared: @unchecked Sendable {
        let plan: AskPlan
        let writer: AnswerWriter
        /// Sinks not in use (each owns an evaluator and its scratch space).
        /// Guarded by `lock`: a sink is used by one request at a time.
        private var idle: [TicketSink] = []
        private let lock = NIOLock()

        init(plan: AskPlan, writer: AnswerWriter) {
            self.plan = plan
            self.writer = writer
        }

        func take(_ policies: PolicySet) -> TicketSink {
            if let sink = lock.withLock({ idle.popLast() }) { return sink }
            return TicketSink(policies: policies, plan: plan, writer: writer)
        }

        func give(back sink: TicketSink) {
            lock.withLock {
                if idle.count < 16 { idle.append(sink) }
            }
        }
    }

    /// The most ask lists kept per set; past it, plans are made per request.
    static let maxPreparedPlans = 64

    /// The prepared plan for these decisions (empty: every decision), or why
    /// the ask list is wrong (an unknown decision, with "did you mean").
    func prepare(ask: [String], explain: Bool) throws(UsageError) -> Prepared {
        let key = PlanKey(ask: ask, explain: explain)
        if let p = prepared.withLockedValue({ $0[key] }) { return p }
        let plan = try AskPlan(policies: policies.compiled, ask: ask)
        let made = Prepared(plan: plan, writer: AnswerWriter(policies: policies, plan: plan, explain: explain))
        return prepared.withLockedValue { cache in
            if let p = cache[key] { return p }
            if cache.count < Self.maxPreparedPlans { cache[key] = made }
            return made
        }
    }
}
