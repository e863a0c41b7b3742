import VerdictCompiler
import VerdictModel
import VerdictRuntime

/// Two policy folders compared policy by policy.
public struct SetDiff: Sendable {
    public var old: PolicySource?
    public var new: PolicySource?
    public var policies: [PolicyDiff]

    /// No change that shows in what the policies mean (layout, comments, key
    /// order and file placement never count).
    public var hasSemanticChanges: Bool { policies.contains { !$0.isUnchanged } }

    /// Pairs the policies of two sets: by name and version; a version only the
    /// new side has is compared with the old version in force on the day it
    /// takes effect (the one it replaces).
    public init(old: PolicySet, new: PolicySet, oldSource: PolicySource? = nil, newSource: PolicySource? = nil) {
        self.old = oldSource
        self.new = newSource
        let names = Set(old.policies.map(\.name)).union(new.policies.map(\.name)).sorted()
        var out: [PolicyDiff] = []
        for name in names {
            let o = old.policies.indices.filter { old.policies[$0].name == name }
            let n = new.policies.indices.filter { new.policies[$0].name == name }
            if o.count == 1, n.count == 1 {
                out.append(PolicyDiff(old: PolicySide(old, o[0]), new: PolicySide(new, n[0])))
                continue
            }
            var pairedOld = Set<Int>()
            for j in n {
                let v = new.policies[j].identity.version
                if let i = o.first(where: { old.policies[$0].identity.version == v }) {
                    pairedOld.insert(i)
                    out.append(PolicyDiff(old: PolicySide(old, i), new: PolicySide(new, j)))
                    continue
                }
                // A new version: against the old version in force when it starts.
                let from = new.policies[j].dating?.from
                let replaced = o.last { i in
                    guard let f = old.policies[i].dating?.from else { return true }
                    guard let from else { return false }
                    return !(from < f)
                } ?? o.last
                out.append(PolicyDiff(old: replaced.map { PolicySide(old, $0) }, new: PolicySide(new, j)))
                if let replaced, !n.contains(where: { new.policies[$0].identity.version == old.policies[replaced].identity.version }) {
                    pairedOld.insert(replaced)
                }
            }
            for i in o where !pairedOld.contains(i) {
                out.append(PolicyDiff(old: PolicySide(old, i), new: nil))
            }
        }
        self.policies = out
    }

    /// Two policies of one folder compared (e.g. `domestic` and `export`).
    public init(comparing a: PolicySide, with b: PolicySide) {
        self.old = nil
        self.new = nil
        self.policies = [PolicyDiff(old: a, new: b, acrossPolicies: true)]
    }
}
