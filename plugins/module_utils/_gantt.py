# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Gantt chart of a switch's steps as a PNG, with the Python standard library only.

One row per step, numbered as in the report's Markdown table; stops on the source in one colour,
starts on the target in another, a failed start in red; the downtime the probe measured as a
grey band across the top; a time axis in seconds from the start of the switch. Digits are drawn
from a 3x5 bitmap font, so the chart needs no plotting library on the controller.
"""

from __future__ import annotations

import struct
import zlib

WHITE = (255, 255, 255)
INK = (40, 40, 40)
GRID = (225, 225, 225)
STOP = (52, 101, 164)
START = (78, 154, 6)
FAILED = (204, 0, 0)
DOWN = (190, 190, 190)

_DIGITS = {  # 3 x 5, rows top to bottom
    "0": ("111", "101", "101", "101", "111"), "1": ("010", "110", "010", "010", "111"),
    "2": ("111", "001", "111", "100", "111"), "3": ("111", "001", "111", "001", "111"),
    "4": ("101", "101", "111", "001", "001"), "5": ("111", "100", "111", "001", "111"),
    "6": ("111", "100", "111", "101", "111"), "7": ("111", "001", "001", "001", "001"),
    "8": ("111", "101", "111", "101", "111"), "9": ("111", "101", "111", "001", "111"),
    ".": ("000", "000", "000", "000", "010"), "s": ("000", "011", "010", "001", "110"),
}


class Canvas:
    def __init__(self, width, height):
        self.width, self.height = width, height
        self.rows = [bytearray(WHITE * width) for _row in range(height)]

    def box(self, x0, y0, x1, y1, color):
        x0, x1 = max(0, int(x0)), min(self.width, int(x1))
        y0, y1 = max(0, int(y0)), min(self.height, int(y1))
        if x1 <= x0 or y1 <= y0:
            return
        run = bytes(color) * (x1 - x0)
        for y in range(y0, y1):
            self.rows[y][3 * x0:3 * x1] = run

    def text(self, x, y, text, color=INK, scale=2):
        for char in text:
            glyph = _DIGITS.get(char)
            if glyph:
                for gy, line in enumerate(glyph):
                    for gx, bit in enumerate(line):
                        if bit == "1":
                            self.box(x + gx * scale, y + gy * scale, x + (gx + 1) * scale, y + (gy + 1) * scale,
                                     color)
            x += 4 * scale

    def png(self):
        raw = b"".join(b"\x00" + bytes(row) for row in self.rows)

        def chunk(kind, data):
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + \
            chunk(b"IEND", b"")


def _tick_step(span):
    for step in (0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120):
        if span / step <= 12:
            return step
    return 300


def gantt_png(steps, gaps=(), width=900, row=18):
    """PNG bytes of the steps (the report's ``steps``: ``started_at``/``ended_at`` in seconds from
    the switch's start) and the probe's downtime ``gaps`` (``[{"from", "to"}]`` on the same clock)."""
    timed = [s for s in steps if s.get("started_at") is not None]
    ends = [s.get("ended_at") or s["started_at"] for s in timed] + [g["to"] for g in gaps if g.get("to") is not None]
    span = max(ends + [1.0])
    left, right, top = 44, 16, 26
    height = top + row * max(len(steps), 1) + 28
    canvas = Canvas(width, height)
    scale = (width - left - right) / span

    def x_of(t):
        return left + max(t, 0.0) * scale

    step = _tick_step(span)
    tick = 0.0
    while tick <= span + 1e-9:
        canvas.box(x_of(tick), top - 4, x_of(tick) + 1, height - 22, GRID)
        label = ("%g" % tick) + "s"
        canvas.text(x_of(tick) - 4, height - 18, label)
        tick += step
    for gap in gaps:
        end = gap.get("to") if gap.get("to") is not None else span
        canvas.box(x_of(gap["from"]), 4, max(x_of(end), x_of(gap["from"]) + 2), top - 8, DOWN)
    for i, item in enumerate(steps):
        y = top + i * row
        canvas.text(4, y + 3, str(i + 1))
        if item.get("started_at") is None:
            continue
        end = item.get("ended_at") if item.get("ended_at") is not None else item["started_at"]
        color = FAILED if item.get("failed") else (STOP if item.get("action") == "stop" else START)
        canvas.box(x_of(item["started_at"]), y + 2, max(x_of(end), x_of(item["started_at"]) + 2), y + row - 3, color)
    return canvas.png()
