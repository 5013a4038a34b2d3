// Live guidance (shadows under the pen, synthesized face, sliders' effect): filled in by the Guidance issue.
// The app calls attachGuidance once per page and forwards what Sessions does not handle itself. This module
// must not change anything outside the elements it is given.
//
// attachGuidance({ socket, shadowCanvas, facePanel, faceImage, sliders, modeSelect, convertButton })
// returns hooks the app calls:
//   onWelcome(welcome)     after every (re)join; welcome is the parsed `welcome` message
//   onOperation(op)        after each `op` message was applied (op.kind, op.seq, …)
//   onBinary(arrayBuffer)  every binary message (byte 0 = type, see docs/PROTOCOL.md)
//   onMessage(message)     text messages of a type Sessions does not know; return true when handled
// `socket.send(object)` sends a JSON message; `socket.state` is 'connecting' | 'live' | 'reconnecting' | 'closed'.

export function attachGuidance(_context) {
  return {
    onWelcome(_welcome) {},
    onOperation(_op) {},
    onBinary(_buffer) {},
    onMessage(_message) { return false; },
  };
}
