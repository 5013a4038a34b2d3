// Runtime benchmark: per-stage latency of the Swift pipeline on one model, sgemm peak, conv GFLOP/s
// and RSS, printed as JSON for bench/runtime/report.py. Run through bench/runtime/run.sh.
//
// usage: runtime-bench --model DIR --sketches DIR --iterations N --threads T
import FaceModel
import Foundation

struct Arguments {
    var model = "models/default", sketches = "", iterations = 30, threads = 2, profile = false
    init() {
        var args = CommandLine.arguments.dropFirst().makeIterator()
        while let a = args.next() {
            switch a {
            case "--model": model = args.next()!
            case "--sketches": sketches = args.next()!
            case "--iterations": iterations = Int(args.next()!)!
            case "--threads": threads = Int(args.next()!)!
            case "--profile": profile = true
            default: fatalError("unknown argument \(a)")
            }
        }
    }
}

func residentMB(_ field: String) -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
        return Double(line.split(separator: " ", omittingEmptySubsequences: true)[1])! / 1024
    }
    return 0
}

/// Median / p95 in milliseconds.
func summary(_ seconds: [Double]) -> [String: Double] {
    let s = seconds.sorted()
    return ["p50_ms": s[s.count / 2] * 1000, "p95_ms": s[Int((Double(s.count - 1) * 0.95).rounded())] * 1000, "n": Double(s.count)]
}

func time(_ body: () -> Void) -> Double {
    let t = monotonicSeconds(); body(); return monotonicSeconds() - t
}

let args = Arguments()
BLASThreads.set(args.threads)
FileHandle.standardError.write(Data("OpenBLAS kernels: \(BLASKernel.current ?? "unknown")\n".utf8))
let rssBefore = residentMB("VmRSS")
let loadStart = monotonicSeconds()
let model = try FaceModel(directory: args.model)
let loadSeconds = monotonicSeconds() - loadStart
let rssLoaded = residentMB("VmRSS")
let names = model.manifest.components.map(\.name)

var canvases: [Canvas] = []
let files = (try? FileManager.default.contentsOfDirectory(atPath: args.sketches).filter { $0.hasSuffix(".png") }.sorted()) ?? []
for f in files { canvases.append(try PNG.readCanvas(path: args.sketches + "/" + f)) }
if canvases.isEmpty { fatalError("no sketches in \(args.sketches)") }

// sgemm peak: large square GEMM and a conv-like shape, best of several runs.
func sgemmGFLOPs(m: Int, n: Int, k: Int) -> Double {
    let a = [Float](repeating: 0.5, count: m * k), b = [Float](repeating: 0.25, count: k * n)
    var c = [Float](repeating: 0, count: m * n)
    var best = Double.infinity
    for _ in 0..<5 {
        best = min(best, time { sgemmForBenchmark(m: m, n: n, k: k, a: a, b: b, c: &c) })
    }
    return 2 * Double(m * n * k) / best / 1e9
}
let peakSquare = sgemmGFLOPs(m: 1024, n: 1024, k: 1024)

if args.profile {
    // Per-step profile of the generator and the remainder mapper (stderr), best of 3 runs.
    let session = FaceSession(model: model)
    session.update(canvases[0])
    let input = session.generatorInput(workspace: Workspace())
    let condition = model.manifest.appearance == nil ? nil : session.appearance
    let pws = Workspace()
    var best: [Network.StepTiming] = model.generator.profile(input.data, condition: condition, workspace: pws)
    for _ in 0..<2 {
        let t = model.generator.profile(input.data, condition: condition, workspace: pws)
        best = zip(best, t).map { $0.seconds <= $1.seconds ? $0 : $1 }
    }
    let r = names.count - 1
    let encoderSteps = model.encoders[r].profile(model.networkInput(model.crops(canvases[0])[r]), workspace: pws)
    for (i, t) in encoderSteps.enumerated() where t.seconds > 0.0002 {
        let gf = t.multiplyAdds > 0 ? String(format: "%6.1f GFLOP/s", 2 * Double(t.multiplyAdds) / t.seconds / 1e9) : ""
        FileHandle.standardError.write(Data(String(format: "encoder.%@ step %2d %-14@ %8.2f ms %@\n", names[r] as NSString, i, t.kind as NSString, t.seconds * 1000, gf as NSString).utf8))
    }
    let mapperSteps = model.mappers[r].profile(session.projected(component: r, workspace: pws), workspace: pws)
    for (i, t) in mapperSteps.enumerated() where t.seconds > 0.0005 {
        let gf = t.multiplyAdds > 0 ? String(format: "%6.1f GFLOP/s", 2 * Double(t.multiplyAdds) / t.seconds / 1e9) : ""
        FileHandle.standardError.write(Data(String(format: "mapper.%@ step %2d %-14@ %8.2f ms %@\n", names[r] as NSString, i, t.kind as NSString, t.seconds * 1000, gf as NSString).utf8))
    }
    for (i, t) in best.enumerated() {
        let gf = t.multiplyAdds > 0 ? String(format: "%6.1f GFLOP/s", 2 * Double(t.multiplyAdds) / t.seconds / 1e9) : ""
        FileHandle.standardError.write(Data(String(format: "generator step %2d %-14@ %8.2f ms %@\n", i, t.kind as NSString, t.seconds * 1000, gf as NSString).utf8))
    }
}

var stages: [String: [Double]] = [:]
func record(_ name: String, _ seconds: Double) { stages[name, default: []].append(seconds) }

let ws = Workspace()
_ = model.synthesize(canvases[0], workspace: ws)  // warm-up: sizes the workspace
let rssWarm = residentMB("VmRSS")

for it in 0..<args.iterations {
    let canvas = canvases[it % canvases.count]
    var crops: [Crop] = []
    record("crop (all components)", time { crops = model.crops(canvas) })
    var maps: [Tensor] = [], projections: [SketchProjection] = []
    for (i, name) in names.enumerated() {
        var z: [Float] = []
        record("encode \(name)", time { z = model.encode(crops[i], component: i, workspace: ws) })
        var n: [Neighbour] = []
        var w: [Float] = []
        record("knn+weights \(name)", time {
            n = model.nearest([z], component: i, k: max(model.manifest.kProject, model.manifest.kShadow))[0]
            w = model.weights(z, neighbours: n, component: i)
        })
        var shadow = Shadow(side: 1, alpha: [0])
        record("shadow blend \(name)", time { shadow = model.shadow(neighbours: n, component: i) })
        record("shadow png \(name)", time { _ = try! PNG.encode(shadow) })
        record("shadow blend+png \(name)", time { _ = try! PNG.encode(model.shadow(neighbours: n, component: i)) })
        record("shadow path \(name)", time {
            let zz = model.encode(crops[i], component: i, workspace: ws)
            let nn = model.nearest([zz], component: i, k: model.manifest.kShadow)[0]
            _ = try! PNG.encode(model.shadow(neighbours: nn, component: i))
        })
        projections.append(SketchProjection(neighbours: n, weights: w, slider: 1))
        let p = model.project(z, neighbours: n, weights: w, component: i, slider: 1)
        var f = Tensor(zeros: [1])
        record("mapping \(name)", time { f = model.featureMap(p, component: i, workspace: ws) })
        maps.append(f)
    }
    var fused = Tensor(zeros: [1])
    record("fuse", time { fused = model.fuse(maps) })
    let small = model.downsample(canvas)
    // The two sketch blocks a version 2 generator may read (timed on every model: the rule needs only the database).
    record("sketch block plain", time { _ = model.manifest.inputNormalisation.apply(small) })
    record("sketch block projected", time { _ = model.projectedSketch(small, projections: projections) })
    let input = model.generatorInput(fused: fused, sketch: small, projections: projections)
    record("generator", time { _ = model.generate(input, appearance: model.defaultAppearance, workspace: ws) })
    record("full synthesis", time { _ = model.synthesize(canvas, workspace: ws) })
    record("full synthesis + face png", time { _ = try! PNG.encode(model.synthesize(canvas, workspace: ws)) } )
}

// Conv throughput: profile every network once per sketch, sum conv/conv_transpose time and FLOPs.
var convSeconds = 0.0, convMACs = 0, allSeconds = 0.0, allMACs = 0
var generatorKinds: [String: Double] = [:]
for canvas in canvases.prefix(3) {
    let session = FaceSession(model: model)
    session.update(canvas)
    for i in names.indices {
        for t in model.encoders[i].profile(model.networkInput(model.crops(canvas)[i]), workspace: ws) + model.mappers[i].profile(session.projected(component: i, workspace: ws), workspace: ws) {
            allSeconds += t.seconds; allMACs += t.multiplyAdds
            if t.kind.contains("conv") { convSeconds += t.seconds; convMACs += t.multiplyAdds }
        }
    }
    let condition = model.manifest.appearance == nil ? nil : session.appearance
    for t in model.generator.profile(session.generatorInput(workspace: ws).data, condition: condition, workspace: ws) {
        allSeconds += t.seconds; allMACs += t.multiplyAdds
        if t.kind.contains("conv") { convSeconds += t.seconds; convMACs += t.multiplyAdds }
        generatorKinds[t.kind, default: 0] += t.seconds
    }
}
let profiled = Double(min(3, canvases.count))

// Concurrent sessions: 2 workers, each with its own workspace and session, synthesizing back to back.
// With the process-wide BLAS thread count this shows whether 1 thread per worker beats sharing.
func concurrentThroughput(workers: Int, perWorker: Int) -> (perSecond: Double, p50: Double) {
    var latencies = [[Double]](repeating: [], count: workers)
    let lock = NSLock()
    let start = monotonicSeconds()
    DispatchQueue.concurrentPerform(iterations: workers) { w in
        let wsw = Workspace()
        var mine: [Double] = []
        for j in 0..<perWorker {
            let canvas = canvases[(w * 3 + j) % canvases.count]
            mine.append(time { _ = model.synthesize(canvas, workspace: wsw) })
        }
        lock.lock(); latencies[w] = mine; lock.unlock()
    }
    let elapsed = monotonicSeconds() - start
    let all = latencies.flatMap { $0 }.sorted()
    return (Double(all.count) / elapsed, all[all.count / 2])
}
let perWorker = max(3, args.iterations / 3)
let concurrent = concurrentThroughput(workers: 2, perWorker: perWorker)
let serial = concurrentThroughput(workers: 1, perWorker: perWorker)

var result: [String: Any] = [
    "model": args.model, "blas_kernel": BLASKernel.current ?? "unknown", "resolution": model.manifest.resolution, "threads": args.threads,
    "sketches": canvases.count, "iterations": args.iterations,
    "load_seconds": loadSeconds,
    "rss_mb": ["before_load": rssBefore, "model_loaded": rssLoaded, "after_warmup": rssWarm, "peak": residentMB("VmHWM")],
    "sgemm_peak_gflops": peakSquare,
    "conv_gflops": 2 * Double(convMACs) / convSeconds / 1e9,
    "conv_share_of_pipeline_time": convSeconds / allSeconds,
    "pipeline_gflop": 2 * Double(allMACs) / profiled / 1e9,
    "generator_gflop": 2 * Double(model.generator.multiplyAdds) / 1e9,
    "generator_ms_by_kind": generatorKinds.mapValues { $0 / profiled * 1000 },
    "workspace_mb": Double(ws.bytes) / 1e6,
    "concurrency": ["workers2_per_second": concurrent.perSecond, "workers2_p50_ms": concurrent.p50 * 1000,
                    "workers1_per_second": serial.perSecond, "workers1_p50_ms": serial.p50 * 1000],
]
result["stages"] = stages.mapValues(summary)
let json = try JSONSerialization.data(withJSONObject: result, options: [.prettyPrinted, .sortedKeys])
FileHandle.standardOutput.write(json)
print()
