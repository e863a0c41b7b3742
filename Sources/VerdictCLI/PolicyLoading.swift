import ArgumentParser
import CEL
import VerdictCompiler
import VerdictModel
import VerdictOutput

enum PolicyLoading {
    /// Loads the policies or prints every problem and exits with `failure`
    /// (`.usage` for eval and expr: nothing is read; `.failure` for check).
    static func load(
        _ directory: String, toStdout: Bool = false, failure: ExitStatus = .usage, costLimit: Int = CELCost.defaultLimit
    ) throws -> PolicySet {
        do {
            return try PolicySet.load(directory: directory, warnings: false, costLimit: costLimit)
        } catch {
            var text = DiagnosticRenderer.renderAll(error.diagnostics, sources: error.sources)
            let count = error.diagnostics.count
            text += "\(count) problem\(count == 1 ? "" : "s") in the policies\n"
            if toStdout { try Output.out(text) } else { Output.stderr(text) }
            Output.exitNow(failure.rawValue)
        }
    }
}
