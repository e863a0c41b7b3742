import VerdictCompiler
import VerdictModel
import VerdictRuntime

/// `verdict graph`: a policy's inputs, parameters, rules and tables with
/// their dependencies and clauses, as Graphviz DOT or Mermaid.
public struct GraphPrinter {
    public enum Format: String, Sendable, CaseIterable {
        case dot, mermaid
    }

    let set: PolicySet
    let index: Int
    /// Rules drawn: the decisions asked and what they need, or every rule.
    let rules: [Int]

    public init(_ set: PolicySet, policy index: Int, ask: [String] = []) {
        self.set = set
        self.index = index
        let p = set.policies[index]
        if ask.isEmpty {
            rules = Array(p.rules.indices)
        } else {
            var keep = Set<Int>()
            for name in ask {
                guard let r = p.ruleIndex(named: name) else { continue }
                keep.insert(r)
                keep.formUnion(p.graph.ruleClosure(of: r))
            }
            rules = keep.sorted()
        }
    }

    struct Node {
        var id: String
        var lines: [String]
        enum Kind { case input, parameter, rule, decision, table }
        var kind: Kind
    }

    func graph() -> (nodes: [Node], edges: [(String, String)]) {
        let p = set.policies[index]
        let s = set.snapshots[index]
        var nodes: [Node] = []
        var edges: [(String, String)] = []
        var inputs = Set<Int>()
        var params = Set<Int>()
        for r in rules {
            let rule = p.rules[r]
            let snap = s.rules[r]
            var kind: Node.Kind = snap.decision ? .decision : .rule
            var lines = [rule.name, snap.label.en]
            if case .table(let t) = snap.body {
                kind = snap.decision ? .decision : .table
                lines.append("table (\(t.hit.rawValue)): \(t.rows.count) rows" + (t.defaultRow == nil ? "" : " + default"))
            }
            lines.append("[" + s.cited(snap.clause).joined(separator: ", ") + "]")
            nodes.append(Node(id: "rule_\(rule.name)", lines: lines, kind: kind))
            for d in p.graph.rules[r] where rules.contains(d) { edges.append(("rule_\(p.rules[d].name)", "rule_\(rule.name)")) }
            for slot in p.graph.inputs[r] {
                inputs.insert(slot)
                edges.append(("input_\(Self.id(p.slotNames[slot]))", "rule_\(rule.name)"))
            }
            for slot in p.graph.parameters[r] {
                params.insert(slot)
                edges.append(("param_\(Self.id(p.slotNames[slot]))", "rule_\(rule.name)"))
            }
        }
        for slot in inputs.sorted() {
            let path = p.slotNames[slot]
            let label = s.inputs.input(at: path)?.label?.en
            nodes.append(Node(id: "input_\(Self.id(path))", lines: [path] + (label.map { [$0] } ?? []), kind: .input))
        }
        for slot in params.sorted() {
            let name = String(p.slotNames[slot].dropFirst("params.".count))
            let param = s.parameter(named: name)
            let value = param.map { " = " + $0.value.celLiteral } ?? ""
            nodes.append(
                Node(
                    id: "param_\(Self.id(p.slotNames[slot]))",
                    lines: [name + value] + (param.map { ["[" + s.cited($0.clause).joined(separator: ", ") + "]"] } ?? []),
                    kind: .parameter))
        }
        return (nodes, edges)
    }

    static func id(_ s: String) -> String {
        String(s.unicodeScalars.map { ("a"..."z").contains($0) || ("0"..."9").contains($0) ? Character($0) : "_" })
    }

    public func render(_ format: Format) -> String {
        let (nodes, edges) = graph()
        let title = set.policies[index].identity.description
        switch format {
        case .dot:
            var out = "digraph \"\(title)\" {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=10];\n"
            for n in nodes {
                let label = n.lines.map(dotEscape).joined(separator: "\\n")
                let style: String
                switch n.kind {
                case .input: style = "shape=ellipse, style=filled, fillcolor=\"#eef5ff\""
                case .parameter: style = "shape=note, style=filled, fillcolor=\"#fff7e0\""
                case .rule: style = "shape=box, style=rounded"
                case .table: style = "shape=box3d"
                case .decision: style = "shape=box, style=\"rounded,bold,filled\", fillcolor=\"#e8f7e8\""
                }
                out += "  \(n.id) [\(style), label=\"\(label)\"];\n"
            }
            for (a, b) in edges { out += "  \(a) -> \(b);\n" }
            return out + "}\n"
        case .mermaid:
            var out = "flowchart LR\n"
            for n in nodes {
                let label = n.lines.map(mermaidEscape).joined(separator: "<br/>")
                switch n.kind {
                case .input: out += "  \(n.id)([\"\(label)\"])\n"
                case .parameter: out += "  \(n.id)[/\"\(label)\"/]\n"
                case .rule, .table: out += "  \(n.id)[\"\(label)\"]\n"
                case .decision: out += "  \(n.id)[[\"\(label)\"]]\n"
                }
            }
            for (a, b) in edges { out += "  \(a) --> \(b)\n" }
            return out
        }
    }

    func dotEscape(_ s: String) -> String {
        s.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"")
    }

    func mermaidEscape(_ s: String) -> String {
        s.replacing("\"", with: "#quot;")
    }
}
