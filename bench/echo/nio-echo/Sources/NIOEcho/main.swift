// Usage: NIOEcho <port> [<cert.pem> <key.pem>]   (with cert and key: TLS)
// Serves /ws/echo-style echo on every path: each text/binary frame is sent back, pings get pongs,
// a close frame is answered and the channel closed. Two event-loop threads, like SketchFace's default.
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket

final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .binary, .continuation:
            context.write(wrapOutboundOut(WebSocketFrame(fin: frame.fin, opcode: frame.opcode, data: frame.unmaskedData)), promise: nil)
        case .ping:
            context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        case .connectionClose:
            let reply = WebSocketFrame(fin: true, opcode: .connectionClose, data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(reply)).whenComplete { _ in context.close(promise: nil) }
        default:
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }
}

let arguments = CommandLine.arguments
guard arguments.count == 2 || arguments.count == 4, let port = Int(arguments[1]) else {
    print("usage: NIOEcho <port> [<cert.pem> <key.pem>]")
    exit(2)
}
var tls: NIOSSLContext?
if arguments.count == 4 {
    let chain = try NIOSSLCertificate.fromPEMFile(arguments[2]).map { NIOSSLCertificateSource.certificate($0) }
    var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain,
                                                                privateKey: .privateKey(try NIOSSLPrivateKey(file: arguments[3], format: .pem)))
    configuration.minimumTLSVersion = .tlsv12
    configuration.applicationProtocols = ["http/1.1"]
    tls = try NIOSSLContext(configuration: configuration)
}
let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
let upgrader = NIOWebSocketServerUpgrader(
    maxFrameSize: 1 << 20,
    shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture(HTTPHeaders()) },
    upgradePipelineHandler: { channel, _ in channel.pipeline.addHandler(EchoHandler()) }
)
let bootstrap = ServerBootstrap(group: group)
    .serverChannelOption(ChannelOptions.backlog, value: 1024)
    .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
    .childChannelInitializer { channel in
        let secured: EventLoopFuture<Void>
        if let tls {
            secured = channel.pipeline.addHandler(NIOSSLServerHandler(context: tls))
        } else {
            secured = channel.eventLoop.makeSucceededVoidFuture()
        }
        return secured.flatMap {
            channel.pipeline.configureHTTPServerPipeline(withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
        }
    }
let channel = try bootstrap.bind(host: "127.0.0.1", port: port).wait()
print("listening \(channel.localAddress!.port!)")
fflush(stdout)
try channel.closeFuture.wait()
