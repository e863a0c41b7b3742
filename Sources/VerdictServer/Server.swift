import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle
import UnixSignals
import VerdictModel

/// `verdict serve`: the answers of `verdict eval` over HTTP, from the policy
/// set in force, reloaded in the background as the folder changes.
public final class VerdictServer: Sendable {
    public let options: ServerOptions
    public let store: PolicyStore
    public let metrics: ServerMetrics
    public let logger: Logger
    /// Where requests are evaluated: threads with stacks sized to the limits
    /// (the executor's threads are too small for the deepest policies), one
    /// per core, shared by every server in the process.
    static let evaluators = WorkerThreads(count: Threads.cores)

    public init(options: ServerOptions, logSink: LogSink = .standardError, logLevel: Logger.Level = .info) {
        self.options = options
        var logger = Logger(label: "verdict-server") { label in
            var h = JSONLogHandler(label: label, sink: logSink)
            h.logLevel = logLevel
            return h
        }
        logger.logLevel = logLevel
        self.logger = logger
        self.metrics = ServerMetrics()
        self.store = PolicyStore(directory: options.policies, metrics: metrics, logger: logger)
    }

    /// Every route, as registered (docs/openapi.yaml documents the same list; a test checks it).
    public func router() -> Router<ServerContext> {
        let router = Router(context: ServerContext.self)
        router.add(middleware: ObserveMiddleware(server: self))
        let eval = EvalRoute(server: self)
        router.post("/v1/eval") { request, context in try await eval.respond(request, context) }
        router.get("/v1/policies") { _, context in self.policyList(context) }
        router.get("/v1/policies/{name}") { request, context in self.policyShow(request, context) }
        router.get("/healthz") { _, _ in Self.json(.ok, "{\"status\":\"alive\"}\n") }
        router.get("/readyz") { _, _ in self.readiness() }
        router.get("/metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: self.metrics.render())))
        }
        return router
    }

    /// The routes as `METHOD /path` lines, sorted.
    public static func routeList() -> [String] {
        let server = VerdictServer(options: ServerOptions(), logSink: LogSink { _ in })
        return server.router().routes.map { "\($0.method) \($0.path)" }.sorted()
    }

    /// Loads the policies once (the server starts even when they do not load:
    /// it is not ready until a good set arrives), then serves until SIGTERM or
    /// SIGINT, finishing the requests in flight. `onListening` gets the port.
    public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let group = makeServiceGroup(signals: [.sigterm, .sigint], onListening: onListening)
        try await group.run()
    }

    /// The services: the watcher and the HTTP server. Shutting down (a
    /// signal, or `triggerGracefulShutdown`) stops accepting, lets requests in
    /// flight finish, then stops the watcher.
    public func makeServiceGroup(
        signals: [UnixSignal], onListening: @escaping @Sendable (Int) async -> Void
    ) -> ServiceGroup {
        // What the first load reads: an edit after this and before the watch
        // starts is still noticed (the watcher compares the folder with it).
        let loaded = Fingerprint(directory: store.directory)
        if store.current == nil { store.reload(reason: "startup") }
        if store.current == nil { metrics.ready.set(Double(0)) }
        let app = Application(
            router: router(),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: nil),
            onServerRunning: { [logger] channel in
                let port = channel.localAddress?.port ?? 0
                logger.info(
                    "listening",
                    metadata: ["address": .string("\(channel.localAddress?.ipAddress ?? "?")"), "port": .stringConvertible(port)])
                await onListening(port)
            },
            logger: logger
        )
        let watcher = PolicyWatcher(store: store, options: options, logger: logger, loaded: loaded)
        return ServiceGroup(
            configuration: .init(
                services: [.init(service: watcher), .init(service: app)],
                gracefulShutdownSignals: signals,
                logger: logger))
    }

    // MARK: - Small routes

    func readiness() -> Response {
        guard let set = store.current else {
            let why = store.lastFailure.map { ": " + Self.firstLine($0.text) } ?? ""
            return ErrorBody.response(.serviceUnavailable, "no policy set is loaded\(why)")
        }
        return Self.json(.ok, "{\"status\":\"ready\",\"set\":\"\(set.setDigest)\",\"generation\":\(set.generation)}\n")
    }

    func policyList(_ context: ServerContext) -> Response {
        let body = PolicyListing.render(current: store.current, failure: store.lastFailure)
        guard let set = store.current else { return Self.json(.serviceUnavailable, body) }
        context.record.setDigest = set.setDigest
        return Self.json(.ok, body)
    }

    func policyShow(_ request: Request, _ context: ServerContext) -> Response {
        guard let set = store.current else {
            return ErrorBody.response(.serviceUnavailable, "no policy set is loaded")
        }
        context.record.setDigest = set.setDigest
        let name = context.parameters.get("name") ?? ""
        var format = "yaml"
        for (key, value) in request.uri.queryParameters {
            guard key == "format" else {
                return ErrorBody.response(.badRequest, "unknown query parameter `\(key)`; parameters: format")
            }
            format = String(value)
        }
        guard format == "yaml" || format == "json" else {
            return ErrorBody.response(.badRequest, "unknown format `\(format)`; formats: yaml, json")
        }
        guard let found = PolicyListing.show(set, name, json: format == "json") else {
            return ErrorBody.response(.notFound, PolicyListing.unknown(set, name))
        }
        var headers = HTTPFields()
        headers[.contentType] = format == "json" ? "application/json" : "application/yaml; charset=utf-8"
        headers[Headers.policy] = found.identity
        headers[Headers.set] = set.setDigest
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: found.text)))
    }

    static func json(_ status: HTTPResponse.Status, _ text: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func firstLine(_ s: String) -> String {
        String(s.prefix { $0 != "\n" })
    }
}

/// The response headers that name the policies behind an answer.
enum Headers {
    /// `name version digest` of the policy that answered (a single ticket), or
    /// of every policy of the set the request was answered with, comma-separated.
    static let policy = HTTPField.Name("Verdict-Policy")!
    /// The set's own digest: every answer of the response is from this set.
    static let set = HTTPField.Name("Verdict-Set")!
}

/// Per-request state the handlers fill and the observer logs.
public struct ServerContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let record = RequestRecord()

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
    }
}
