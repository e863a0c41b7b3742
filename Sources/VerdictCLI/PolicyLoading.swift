import ArgumentParser
import CEL
import CVerdictSupport
import VerdictCompiler
import VerdictModel
import VerdictOutput

enum PolicyLoading {
    /// Loads the policies or prints every problem and exits with `failure`
    /// (`.usage` for eval and expr: nothing is read; `.failure` for check).
    /// Files decoded by an earlier run come from the policy cache
    /// (`PolicyCache`; `VERDICT_CACHE=off` turns it off).
    static func load(
        _ directory: String, toStdout: Bool = false, failure: ExitStatus = .usage, costLimit: Int = CELCost.defaultLimit,
        cache: PolicyCache? = PolicyCache.standard()
    ) throws -> PolicySet {
        do {
            let s = try PolicySet.load(directory: directory, warnings: false, costLimit: costLimit, cache: cache)
            // Tickets come next: memory they free goes back to the system as usual.
            verdict_tune_malloc(0)
            // What loading a large policy freed (its YAML trees, its decoded
            // form) goes back too, rather than staying resident while unused.
            if s.sourceBytes >= 1 << 20 { verdict_return_free_memory() }
            return s
        } catch {
            var text = DiagnosticRenderer.renderAll(error.diagnostics, sources: error.sources)
            let count = error.diagnostics.count
            text += "\(count) problem\(count == 1 ? "" : "s") in the policies\n"
            if toStdout { try Output.out(text) } else { Output.stderr(text) }
            Output.exitNow(failure.rawValue)
        }
    }
}
