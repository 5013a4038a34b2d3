import FaceModel
import Foundation
import Guidance
import HTTP
import Logging
import Raster
import Server
import Sessions

/// The guidance part of the app: loads the face model (`model.path`) and attaches live guidance to the running
/// sessions of the hub `Application` passes in. Shadows and faces travel on the session WebSocket; the one route is
/// the replay view's faces of past states, `GET /replay-face/<id>?seq=N` (404 without a model or for an unknown id).
///
/// A missing or broken model does not stop the server: the reason is logged, sketching works, and every client
/// is told guidance is off (and why) when it joins.
public final class GuidanceRoutes: RouteProvider {
    /// The guidance attached to the sessions.
    public let guidance: SessionGuidance
    private let logger: Logger
    private let replayFaces: ReplayFaces?
    private let hub: SessionHub

    /// Loads the model at `modelPath` (when `section.enabled`) and attaches guidance to `hub`.
    init(section: GuidanceSection, modelPath: String, hub: SessionHub, logger: Logger) {
        self.logger = logger
        self.hub = hub
        var engine: FaceEngine?
        var reason = "guidance is disabled on this server"
        if section.enabled {
            BLASThreads.set(section.blasThreads)
            let started = Date()
            do {
                engine = try FaceModelEngine(directory: modelPath, featureMapBudget: section.featureMapCacheMiB << 20)
                logger.info("guidance: model loaded", metadata: [
                    "path": "\(modelPath)", "ms": "\(Int(Date().timeIntervalSince(started) * 1000))",
                    "resolution": "\(engine!.layout.resolution)", "workers": "\(section.workers)"])
            } catch {
                reason = "no face model could be loaded from \(modelPath)"
                logger.warning("guidance: model not loaded; sketching works without guidance", metadata: [
                    "path": "\(modelPath)", "error": "\(error)"])
            }
        }
        let settings = LiveGuidance.Settings(
            workers: section.workers, throttle: Double(section.throttleMilliseconds) / 1000,
            maxSessions: section.maxActiveSessions, niceness: section.niceness)
        guidance = SessionGuidance(hub: hub, engine: engine, unavailableReason: reason, settings: settings)
        replayFaces = engine.map { ReplayFaces(engine: $0) }
    }

    public func register(on router: Router) {
        router.addDeferred(.prefix("/replay-face/")) { [hub, replayFaces, logger] request, context, respond in
            // The head is read without loading the session; loading it and replaying its log happen on the faces'
            // background queue, only when the face is not cached.
            guard let replayFaces, let id = SessionID(String(context.remainder)), let head = hub.head(of: id) else {
                return respond(SessionService.notFound)
            }
            let seq = min(max(0, SessionService.seq("seq", in: request.query)), head)
            replayFaces.face(key: "\(id.text)/\(seq)", state: {
                hub.state(of: id, at: seq).map { state in
                    (CanvasSnapshot(seq: UInt64(state.seq), side: Canvas.size, pixels: state.canvas.pixels), state.sliders, state.appearance)
                }
            }) { result in
                switch result {
                case .success(let png):
                    respond(HTTPResponse(status: .ok, headers: ["Content-Type": "image/png", "Cache-Control": "private, max-age=3600",
                                                                "X-Sketchface-Seq": String(seq)], body: png))
                case .failure(is ReplayFaces.StateUnavailable):
                    respond(SessionService.notFound)
                case .failure(let error):
                    logger.warning("replay face failed", metadata: ["session": "\(id.logName)", "seq": "\(seq)", "error": "\(error)"])
                    respond(.text(HTTPStatus(code: 500), "500 the model failed on this sketch\n"))
                }
            }
        }
    }

    public func shutdown() {
        guidance.shutdown()
    }
}
