import Foundation
import NIOConcurrencyHelpers
import Prometheus

/// The server's Prometheus metrics (GET /metrics). docs/serve.md lists them.
public final class ServerMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()

    static let requestsName = "verdict_http_requests_total"
    static let durationName = "verdict_http_request_duration_seconds"
    static let ticketsName = "verdict_tickets_total"

    /// Request latency buckets, 0.25 ms to 10 s.
    static let buckets: [Duration] = [
        .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
        .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    let answered: Counter
    let errorLines: Counter
    let reloads: Counter
    let reloadFailures: Counter
    let reloadErrors: Gauge
    let generation: Gauge
    let loadedAt: Gauge
    let ready: Gauge
    /// The info gauges of the set in force, unregistered when it is replaced.
    private let inForce = NIOLockedValueBox<[Gauge]>([])

    public init() {
        let r = registry
        func gauge(_ name: String, _ help: String) -> Gauge { r.makeGauge(descriptor: Self.describe(name, help)) }
        let tickets = Self.describe(Self.ticketsName, "Tickets answered or given an error line, by outcome")
        answered = r.makeCounter(descriptor: tickets, labels: [("outcome", "answered")])
        errorLines = r.makeCounter(descriptor: tickets, labels: [("outcome", "error")])
        reloads = r.makeCounter(
            descriptor: Self.describe("verdict_policy_reloads_total", "Loads of the policy folder (startup, edits, SIGHUP)"))
        reloadFailures = r.makeCounter(
            descriptor: Self.describe("verdict_policy_reload_failures_total", "Loads that failed: the set in force stayed"))
        reloadErrors = gauge("verdict_policy_reload_errors", "Problems found by the last load (0 when it loaded)")
        generation = gauge(
            "verdict_policy_set_generation", "Number of the set in force: 1 for the first, one more per swap")
        loadedAt = gauge("verdict_policy_set_loaded_timestamp_seconds", "When the set in force was swapped in (Unix time)")
        ready = gauge("verdict_ready", "1 when a policy set is loaded and answers tickets")
    }

    /// A descriptor whose name is `name` as given (the registry joins the parts with `_`).
    static func describe(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    /// The methods counted by name; any other is `other` (a label per
    /// client-chosen word would let clients grow the metrics without bound).
    static let methods: Set<String> = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]

    /// One finished request: counted by route, method and status, timed by route.
    func request(route: String, method: String, status: Int, duration: Duration) {
        let method = Self.methods.contains(method) ? method : "other"
        registry.makeCounter(
            descriptor: Self.describe(Self.requestsName, "HTTP requests, by route, method and status"),
            labels: [("route", route), ("method", method), ("status", String(status))]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: Self.describe(Self.durationName, "Time from a request's head to its response's end, by route"),
            labels: [("route", route)], buckets: Self.buckets
        ).record(duration)
    }

    func tickets(answered a: Int, errors e: Int) {
        if a > 0 { answered.increment(by: Int64(a)) }
        if e > 0 { errorLines.increment(by: Int64(e)) }
    }

    func reloaded(_ outcome: ReloadOutcome, failure: ReloadFailure?) {
        reloads.increment()
        if case .failed = outcome { reloadFailures.increment() }
        reloadErrors.set(Double(failure?.diagnostics.count ?? 0))
    }

    /// The digests in force: `verdict_policy_info{name,version,digest} 1` per
    /// policy and `verdict_policy_set_info{digest} 1`; the last set's go.
    func policySetInForce(_ set: LoadedSet) {
        var gauges: [Gauge] = []
        for p in set.policies.policies {
            let g = registry.makeGauge(
                descriptor: Self.describe("verdict_policy_info", "The policies in force, with their digests (value 1)"),
                labels: [("name", p.name), ("version", p.identity.version ?? ""), ("digest", p.digest)])
            g.set(Double(1))
            gauges.append(g)
        }
        let s = registry.makeGauge(
            descriptor: Self.describe("verdict_policy_set_info", "The set in force, by its digest (value 1)"),
            labels: [("digest", set.setDigest)])
        s.set(Double(1))
        gauges.append(s)
        let old = inForce.withLockedValue { current in
            defer { current = gauges }
            return current
        }
        for g in old where !gauges.contains(where: { $0 === g }) { registry.unregisterGauge(g) }
        generation.set(Double(set.generation))
        loadedAt.set(set.setLoadedAt.timeIntervalSince1970)
        ready.set(Double(1))
    }

    public func render() -> [UInt8] { registry.emitToBuffer() }
}
