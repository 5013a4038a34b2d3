"""A Python replica of a session canvas built from `op` messages: the test oracle for restored rasters.

Same integer arithmetic as Sources/Raster/CapsuleRasterizer.swift and web/js/raster.js (docs/PROTOCOL.md).
"""
import math

SIZE, SUB = 512, 16


def quantize(x, y, p):
    return (math.floor(x * SUB + 0.5), math.floor(y * SUB + 0.5), math.floor(p * 255 + 0.5))


def radius(width, pressure):
    return max(4, (width * (255 + 3 * pressure)) // 2040)


def paint_segment(px, a, b, width, tool):
    ra, rb = radius(width, a[2]), radius(width, b[2])
    reach = max(ra, rb)
    min_x = max(0, (min(a[0], b[0]) - reach) // SUB - 1)
    min_y = max(0, (min(a[1], b[1]) - reach) // SUB - 1)
    max_x = min(SIZE - 1, (max(a[0], b[0]) + reach) // SUB + 1)
    max_y = min(SIZE - 1, (max(a[1], b[1]) + reach) // SUB + 1)
    dx, dy = b[0] - a[0], b[1] - a[1]
    den = dx * dx + dy * dy
    pen = tool == "pen"
    for j in range(min_y, max_y + 1):
        cy = j * SUB + SUB // 2
        row = j * SIZE
        for i in range(min_x, max_x + 1):
            cx = i * SUB + SUB // 2
            qx, qy, r = a[0] * SUB, a[1] * SUB, reach
            if den > 0:
                num = min(max((cx - a[0]) * dx + (cy - a[1]) * dy, 0), den)
                qx += (dx * SUB * num) // den
                qy += (dy * SUB * num) // den
                r = ra + ((rb - ra) * num) // den
            ex, ey = cx * SUB - qx, cy * SUB - qy
            d = math.isqrt(ex * ex + ey * ey)
            cover = min(r * SUB - d + 128, 256)
            if cover <= 0:
                continue
            ink = (cover * 255 + 128) >> 8
            k = row + i
            if pen:
                if 255 - ink < px[k]:
                    px[k] = 255 - ink
            elif ink > px[k]:
                px[k] = ink


def paint(px, points, previous, width, tool):
    paint_segment(px, previous or points[0], points[0], width, tool)
    for k in range(1, len(points)):
        paint_segment(px, points[k - 1], points[k], width, tool)


def render(ops):
    """The canvas of a session whose operations (seq 1..n, in order) are `ops`."""
    strokes, undone, clears, batches = {}, set(), [], []
    for op in ops:
        kind = op["kind"]
        if kind == "stroke.begin":
            strokes[op["seq"]] = {"tool": op["tool"], "width": math.floor(op["width"] * SUB + 0.5), "last": None, "ended": False}
        elif kind == "stroke.points":
            s = strokes.get(op["stroke"])
            if s is None or s["ended"]:
                continue
            pts = [quantize(q["x"], q["y"], q["p"]) for q in op["points"]]
            batches.append((op["seq"], op["stroke"], pts, s["last"]))
            s["last"] = pts[-1]
        elif kind == "stroke.end":
            if op["stroke"] in strokes:
                strokes[op["stroke"]]["ended"] = True
        elif kind == "clear":
            clears.append(op["seq"])
        elif kind == "undo":
            undone.add(op["target"])
        elif kind == "redo":
            undone.discard(op["target"])
    start = max([c for c in clears if c not in undone], default=0)
    px = bytearray([255]) * (SIZE * SIZE)
    for seq, stroke, pts, previous in batches:
        if seq <= start or stroke in undone:
            continue
        s = strokes[stroke]
        paint(px, pts, previous, s["width"], s["tool"])
    return bytes(px)
