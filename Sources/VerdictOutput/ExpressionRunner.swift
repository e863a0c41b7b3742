import CEL
import VerdictCompiler
import VerdictJSON
import VerdictModel
import VerdictRuntime

/// `verdict expr`: one expression, the top-level fields of a JSON object as
/// `dyn` variables, checked, evaluated, printed as a CEL literal.
public enum ExpressionRunner {
    public struct Failure: Error, Sendable {
        /// The message(s), with the expression and a caret, ready for stderr.
        public var rendered: String
        /// True when the input (not the expression) was at fault.
        public var usage: Bool
    }

    /// Without a policy: the input's top-level fields are `dyn` variables.
    public static func run(_ expression: String, inputJSON: [UInt8]?) -> Result<String, Failure> {
        var env = CELEnvironment()
        var values: [CELValue] = []
        if let inputJSON {
            switch object(inputJSON) {
            case .failure(let f): return .failure(f)
            case .success(let o):
                for (key, value) in o.entries {
                    let slot = env.declare(variable: key, type: .dyn)
                    while values.count <= slot { values.append(.null) }
                    values[slot] = ValueJSON.celValue(value)
                }
            }
        }
        return evaluate(expression, env: env, activation: CELArrayActivation(values: values))
    }

    /// In a policy's context: the input is a ticket, validated and typed as the
    /// policy declares it; parameters (`params.NAME`) and rules are names too.
    public static func run(
        _ expression: String, policies: CompiledPolicySet, policy index: Int, inputJSON: [UInt8]?
    ) -> Result<String, Failure> {
        var ticket = JSONObject()
        if let inputJSON {
            switch object(inputJSON) {
            case .failure(let f): return .failure(f)
            case .success(let o): ticket = o
            }
        }
        let activation = TicketActivation(policy: policies.policies[index])
        activation.reset(ticket: ticket)
        return evaluate(expression, env: policies.policies[index].environment, activation: activation)
    }

    private static func object(_ bytes: [UInt8]) -> Result<JSONObject, Failure> {
        switch JSONReader.parse(bytes) {
        case .failure(let e):
            return .failure(
                Failure(rendered: "error: input is not valid JSON at byte \(e.offset + 1): \(e.message)\n", usage: true))
        case .success(.object(let o)):
            return .success(o)
        case .success:
            return .failure(Failure(rendered: "error: input must be a JSON object\n", usage: true))
        }
    }

    private static func evaluate(
        _ expression: String, env: CELEnvironment, activation: any CELActivation
    ) -> Result<String, Failure> {
        switch env.compile(expression) {
        case .failure(let errors):
            var text = ""
            for d in errors.diagnostics {
                let (line, column) = locate(expression, offset: d.offset)
                let diagnostic = PolicyDiagnostic(
                    .expression(d.kind), file: "<expression>", line: line, column: column, length: d.length,
                    message: d.message, help: d.help)
                text += DiagnosticRenderer.render(diagnostic, source: Array(expression.utf8))
            }
            return .failure(Failure(rendered: text, usage: false))
        case .success(let program):
            let value = program.evaluate(activation)
            if case .error(let e) = value {
                return .failure(Failure(rendered: "error: \(e.message)\n", usage: false))
            }
            return .success(value.celLiteral)
        }
    }

    /// Line and column (1-based, in scalars) of a scalar offset in the expression.
    static func locate(_ s: String, offset: Int) -> (Int, Int) {
        var line = 1
        var column = 1
        for (i, ch) in s.unicodeScalars.enumerated() {
            if i == offset { break }
            if ch == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return (line, column)
    }
}
