import Foundation
import Testing
import VerdictServer
import VerdictYAML

/// docs/openapi.yaml is kept in step with the server: the same routes, and
/// every example in it is what the server answers.
@Suite("docs/openapi.yaml")
struct OpenAPITests {
    static func document() throws -> YAMLNode {
        switch YAMLDocument.parse(try Repo.text("docs/openapi.yaml")) {
        case .success(let node?): return node
        case .success(nil): throw Failure("docs/openapi.yaml is empty")
        case .failure(let d): throw Failure("docs/openapi.yaml: \(d)")
        }
    }

    static let methods = ["get", "post", "put", "delete", "patch"]

    /// `METHOD /path` for every operation of the document, sorted.
    static func documented(_ doc: YAMLNode) -> [String] {
        (doc.value(forKey: "paths")?.mapping ?? []).flatMap { pair -> [String] in
            let path = pair.key.scalar?.text ?? ""
            return pair.value.keys.filter(methods.contains).map { "\($0.uppercased()) \(path)" }
        }.sorted()
    }

    @Test("every route the server registers is documented, and nothing else")
    func routesMatch() throws {
        let served = VerdictServer.routeList().map { route in
            // Hummingbird writes a parameter as `{name}` or `:name`; OpenAPI as `{name}`.
            route.replacingOccurrences(of: #":([a-z_]+)"#, with: "{$1}", options: .regularExpression)
        }
        #expect(served == Self.documented(try Self.document()))
        #expect(served.count == 6)
    }

    /// A YAML value as the JSON Foundation parses: plain scalars typed as YAML's
    /// core schema does (true, false, null, integers), quoted ones strings.
    static func json(_ node: YAMLNode) -> Any {
        switch node.kind {
        case .scalar(let s):
            guard !s.isQuoted else { return s.text }
            if s.isNull { return NSNull() }
            if let b = s.asBool { return b }
            if let i = s.asInt { return Int(i) }
            return s.text
        case .sequence(let items):
            return items.map(json)
        case .mapping(let pairs):
            var out: [String: Any] = [:]
            for p in pairs { out[p.key.scalar?.text ?? ""] = json(p.value) }
            return out
        }
    }

    /// Equal as JSON values, but for times (`loaded_at`, `at`), which vary.
    static func same(_ a: Any, _ b: Any) -> Bool {
        switch (a, b) {
        case (let x as [String: Any], let y as [String: Any]):
            guard Set(x.keys) == Set(y.keys) else { return false }
            return x.keys.allSatisfy { k in k == "loaded_at" || k == "at" || same(x[k]!, y[k]!) }
        case (let x as [Any], let y as [Any]):
            return x.count == y.count && zip(x, y).allSatisfy(same)
        case (is NSNull, is NSNull):
            return true
        case (let x as String, let y as String):
            return x == y
        case (let x as NSNumber, let y as NSNumber):
            return x == y
        default:
            return false
        }
    }

    struct Example {
        var name: String
        var mediaType: String
        var value: YAMLNode
    }

    static func examples(_ content: YAMLNode?) -> [Example] {
        (content?.mapping ?? []).flatMap { media in
            (media.value.value(forKey: "examples")?.mapping ?? []).compactMap { ex in
                ex.value.value(forKey: "value").map {
                    Example(name: ex.key.scalar?.text ?? "", mediaType: media.key.scalar?.text ?? "", value: $0)
                }
            }
        }
    }

    @Test("every example is what the server answers")
    func examplesAreAnswers() async throws {
        let doc = try Self.document()
        let policies = try Policies()
        var checked = 0
        try await withServer(policies) { s in
            for path in doc.value(forKey: "paths")?.mapping ?? [] {
                for op in path.value.mapping ?? [] where Self.methods.contains(op.key.scalar?.text ?? "") {
                    let method = (op.key.scalar?.text ?? "").uppercased()
                    var target = path.key.scalar?.text ?? ""
                    for p in op.value.value(forKey: "parameters")?.sequence ?? [] {
                        if let name = p.value(forKey: "name")?.scalar?.text, let ex = p.value(forKey: "example")?.scalar?.text {
                            target = target.replacingOccurrences(of: "{\(name)}", with: ex)
                        }
                    }
                    let responses = (op.value.value(forKey: "responses")?.mapping ?? []).map { r in
                        (status: Int(r.key.scalar?.text ?? "") ?? 0, examples: Self.examples(r.value.value(forKey: "content")))
                    }
                    let requests = Self.examples(op.value.value(forKey: "requestBody")?.value(forKey: "content"))
                    // A request example is linked by name to its response example; a GET's
                    // response examples are answers to the plain request.
                    let cases: [(name: String, request: Example?)] =
                        requests.isEmpty
                        ? responses.flatMap { $0.examples.map { (name: $0.name, request: nil as Example?) } }
                        : requests.map { (name: $0.name, request: $0) }
                    for c in cases {
                        let query = op.value.value(forKey: "x-example-queries")?.value(forKey: c.name)?.scalar?.text
                        let url = target + (query.map { "?" + $0 } ?? "")
                        var body: [UInt8]?
                        var headers: [String: String] = [:]
                        if let r = c.request {
                            headers["Content-Type"] = r.mediaType
                            if let text = r.value.scalar?.text, r.value.scalar?.isQuoted == true || r.mediaType != "application/json" {
                                body = Array(text.utf8)
                            } else {
                                body = Array(try JSONSerialization.data(withJSONObject: Self.json(r.value)))
                            }
                        }
                        let reply = try await http(method, port: s.port, url, body: body, headers: headers)
                        let expected = responses.first { $0.examples.contains { $0.name == c.name } }
                        let example = expected?.examples.first { $0.name == c.name }
                        guard let expected, let example else {
                            Issue.record("\(method) \(target) example `\(c.name)` has no response example of that name")
                            continue
                        }
                        #expect(reply.status == expected.status, "\(method) \(url) `\(c.name)`: \(reply)")
                        #expect(reply.headers["content-type"]?.hasPrefix(example.mediaType) == true)
                        if let text = example.value.scalar?.text, example.mediaType != "application/json" {
                            #expect(reply.text == text, "\(method) \(url) `\(c.name)`")
                        } else {
                            let actual = try JSONSerialization.jsonObject(with: Data(reply.body))
                            #expect(Self.same(actual, Self.json(example.value)), "\(method) \(url) `\(c.name)`: \(reply.text)")
                        }
                        checked += 1
                    }
                }
            }
        }
        #expect(checked >= 6)
    }
}
