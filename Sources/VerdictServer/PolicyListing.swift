import Foundation
import VerdictJSONWriter
import VerdictModel
import VerdictOutput

/// GET /v1/policies and GET /v1/policies/{name}.
enum PolicyListing {
    /// `{"set":…,"generation":…,"loaded_at":…,"policies":[…],"last_reload_error":…}`:
    /// each policy's name, version, effective_from, applies_to, digest and
    /// when it came into force; the last reload's problems, or null.
    static func render(current: LoadedSet?, failure: ReloadFailure?) -> String {
        var w = JSONWriter(capacity: 2048)
        w.raw("{\"set\":")
        if let current { w.string(current.setDigest) } else { w.null() }
        w.raw(",\"generation\":")
        w.int(Int64(current?.generation ?? 0))
        w.raw(",\"loaded_at\":")
        if let current { w.string(JSONLogHandler.timestamp(current.setLoadedAt)) } else { w.null() }
        w.raw(",\"policies\":[")
        if let current {
            let set = current.policies
            for (i, p) in set.policies.enumerated() {
                let s = set.snapshots[i]
                if i > 0 { w.raw(",") }
                w.raw("{\"name\":")
                w.string(p.name)
                w.raw(",\"version\":")
                if let v = p.identity.version { w.string(v) } else { w.null() }
                w.raw(",\"effective_from\":")
                if let f = s.effectiveFrom { w.string(f.description) } else { w.null() }
                w.raw(",\"applies_to\":{")
                for (j, selector) in s.appliesTo.enumerated() {
                    if j > 0 { w.raw(",") }
                    w.string(selector.key)
                    w.raw(":")
                    strings(selector.values, into: &w)
                }
                w.raw("},\"decisions\":")
                strings(p.decisionNames, into: &w)
                w.raw(",\"digest\":")
                w.string(p.digest)
                w.raw(",\"loaded_at\":")
                w.string(JSONLogHandler.timestamp(current.loadedAt[i]))
                w.raw("}")
            }
        }
        w.raw("],\"last_reload_error\":")
        if let failure {
            w.raw("{\"at\":")
            w.string(JSONLogHandler.timestamp(failure.at))
            w.raw(",\"errors\":[")
            for (i, d) in failure.diagnostics.enumerated() {
                if i > 0 { w.raw(",") }
                var line = DiagnosticRenderer.json(d)
                if line.hasSuffix("\n") { line.removeLast() }
                w.raw(text: line)
            }
            w.raw("],\"text\":")
            w.string(failure.text)
            w.raw("}")
        } else {
            w.null()
        }
        w.raw("}\n")
        return String(decoding: w.bytes, as: UTF8.self)
    }

    static func strings(_ items: [String], into w: inout JSONWriter) {
        w.raw("[")
        for (i, s) in items.enumerated() {
            if i > 0 { w.raw(",") }
            w.string(s)
        }
        w.raw("]")
    }

    /// The effective policy as `verdict show NAME` prints it (YAML, or JSON).
    static func show(_ set: LoadedSet, _ name: String, json: Bool) -> (text: String, identity: String)? {
        let printer = PolicyPrinter(set.policies)
        guard let index = printer.index(of: name) else { return nil }
        return (json ? printer.json(index) : printer.yaml(index), set.identities[index])
    }

    static func unknown(_ set: LoadedSet, _ name: String) -> String {
        PolicyPrinter(set.policies).unknown(name)
    }
}
