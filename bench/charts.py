"""Plain-SVG charts for bench/report.py (standard library only)."""
import math
from xml.sax.saxutils import escape


def _color(label):
    if label.startswith("daemonkit"):
        return "#2b6cb0"
    if label.startswith(("C ", "Python")):
        return "#999999"
    return "#dd6b20"


def bar_chart(items, title, path):
    """Horizontal bars, one per (label, value): daemonkit blue, Java peers orange, C/Python grey."""
    w, lh, left = 860, 26, 370
    h = 50 + lh * len(items)
    mx = max(v for _, v in items) or 1
    s = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">' % (w, h),
         '<rect width="100%" height="100%" fill="white"/>',
         '<text x="10" y="20" font-size="14" font-weight="bold">%s</text>' % escape(title)]
    for i, (label, v) in enumerate(items):
        y = 35 + i * lh
        bw = (w - left - 90) * v / mx
        s.append('<text x="%d" y="%d" text-anchor="end">%s</text>' % (left - 8, y + 15, escape(label)))
        s.append('<rect x="%d" y="%d" width="%.1f" height="18" fill="%s"/>' % (left, y + 2, bw, _color(label)))
        s.append('<text x="%.1f" y="%d">%.0f/s</text>' % (left + bw + 5, y + 15, v))
    s.append("</svg>")
    open(path, "w").write("\n".join(s))


PALETTE = ["#2b6cb0", "#dd6b20", "#38a169", "#805ad5", "#e53e3e", "#718096"]


def line_chart(series, title, path, log=True, x_label="touched heap, MiB"):
    """Lines of (x, y) points per (label, points), legend below; y on a log scale by default, whole
    decades, so that a flat line looks flat and a 100x drop looks like one."""
    pts = [p for _, ps in series for p in ps]
    if not pts:
        return
    w, ph, m = 760, 260, 70
    h = ph + 2 * m + 20 * len(series)
    xs = sorted({x for x, _ in pts})
    ys = [y for _, y in pts if y > 0] or [1]
    if log:
        lo, hi = math.floor(math.log10(min(ys))), math.ceil(math.log10(max(ys)) + 0.05)
        fy = lambda y: math.log10(max(y, 10 ** lo))
        ticks = [(10 ** d, d) for d in range(lo, hi + 1)]
    else:
        lo, hi = 0, max(ys) * 1.2
        fy = lambda y: y
        ticks = [(hi * i / 4, hi * i / 4) for i in range(5)]
    if hi == lo:
        hi = lo + 1
    pw = w - 2 * m
    sx = lambda x: m + (pw * xs.index(x) / (len(xs) - 1) if len(xs) > 1 else pw / 2)
    sy = lambda v: m + ph - ph * (v - lo) / (hi - lo)
    s = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">' % (w, h),
         '<rect width="100%" height="100%" fill="white"/>',
         '<text x="10" y="20" font-size="14" font-weight="bold">%s</text>' % escape(title),
         '<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (m, m + ph, m + pw, m + ph),
         '<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (m, m, m, m + ph),
         '<text x="%d" y="%d" text-anchor="middle">%s</text>' % (m + pw / 2, m + ph + 35, escape(x_label))]
    for value, pos in ticks:
        y = sy(pos)
        s.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#dddddd"/>' % (m, y, m + pw, y))
        s.append('<text x="%d" y="%.1f" text-anchor="end" font-size="10">%s</text>' % (
            m - 5, y + 4, ("%g" if log else "%.0f") % value))
    for x in xs:
        s.append('<text x="%.1f" y="%d" text-anchor="middle">%g</text>' % (sx(x), m + ph + 15, x))
    for i, (label, ps) in enumerate(series):
        c = PALETTE[i % len(PALETTE)]
        coords = [(sx(x), sy(fy(y))) for x, y in ps]
        s.append('<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>' % (
            c, " ".join("%.1f,%.1f" % p for p in coords)))
        for (cx, cy), (_, y) in zip(coords, ps):
            s.append('<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/><text x="%.1f" y="%.1f" font-size="10">%.0f</text>' % (
                cx, cy, c, cx + 4, cy - 6, y))
        ly = m + ph + 50 + 20 * i
        s.append('<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d">%s</text>' % (
            m, ly, c, m + 18, ly + 11, escape(label)))
    s.append("</svg>")
    open(path, "w").write("\n".join(s))
