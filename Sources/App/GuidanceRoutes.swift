import FaceModel
import Foundation
import Guidance
import Logging
import Server

/// The guidance part of the app: loads the face model (`model.path`) and attaches live guidance to the running
/// sessions (`SessionService.current.hub`). It adds no routes: shadows and faces travel on the session WebSocket.
///
/// A missing or broken model does not stop the server: the reason is logged, sketching works, and every client
/// is told guidance is off (and why) when it joins.
public final class GuidanceRoutes: RouteProvider {
    /// The guidance attached to the sessions, `nil` when there are no sessions to attach to.
    public let guidance: SessionGuidance?
    private let logger: Logger

    public init(context: AppContext) throws {
        logger = context.logger
        let section = context.config[GuidanceSection.self]
        let modelPath = context.config[ModelSection.self].path
        guard let sessions = SessionService.current else {
            context.logger.warning("guidance: no sessions to attach to; guidance is off")
            guidance = nil
            return
        }
        var engine: FaceEngine?
        var reason = "guidance is disabled on this server"
        if section.enabled {
            BLASThreads.set(section.blasThreads)
            let started = Date()
            do {
                engine = try FaceModelEngine(directory: modelPath, featureMapBudget: section.featureMapCacheMiB << 20)
                context.logger.info("guidance: model loaded", metadata: [
                    "path": "\(modelPath)", "ms": "\(Int(Date().timeIntervalSince(started) * 1000))",
                    "resolution": "\(engine!.layout.resolution)", "workers": "\(section.workers)"])
            } catch {
                reason = "no face model could be loaded from \(modelPath)"
                context.logger.warning("guidance: model not loaded; sketching works without guidance", metadata: [
                    "path": "\(modelPath)", "error": "\(error)"])
            }
        }
        let settings = LiveGuidance.Settings(
            workers: section.workers, throttle: Double(section.throttleMilliseconds) / 1000,
            maxSessions: section.maxActiveSessions, niceness: section.niceness)
        guidance = SessionGuidance(hub: sessions.hub, engine: engine, unavailableReason: reason, settings: settings)
    }

    public func register(on router: Router) {}

    public func shutdown() {
        guidance?.shutdown()
    }
}
