"""The Gantt chart of a switch: a valid PNG whose bars sit where the steps are."""

from __future__ import annotations

import struct
import zlib

from ansible_collections.failover.cluster.plugins.module_utils._gantt import FAILED, START, STOP, gantt_png


def decode(png):
    """(width, height, rows of RGB tuples) of an 8-bit RGB PNG written with filter 0."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos:pos + 4])
        kind, data = png[pos + 4:pos + 8], png[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", png[pos + 8 + length:pos + 12 + length])
        assert crc == zlib.crc32(kind + data) & 0xFFFFFFFF
        chunks[kind] = chunks.get(kind, b"") + data
        pos += 12 + length
    width, height, depth, color, *_rest = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert (depth, color) == (8, 2)
    raw = zlib.decompress(chunks[b"IDAT"])
    stride = 1 + 3 * width
    rows = []
    for y in range(height):
        line = raw[y * stride + 1:(y + 1) * stride]
        rows.append([tuple(line[i:i + 3]) for i in range(0, len(line), 3)])
    return width, height, rows


def test_bars_are_drawn_in_time_order_with_their_colours():
    steps = [{"action": "stop", "resource": "a", "started_at": 0.0, "ended_at": 1.0},
             {"action": "start", "resource": "a", "started_at": 1.0, "ended_at": 2.0},
             {"action": "start", "resource": "b", "started_at": 2.0, "ended_at": 2.5, "failed": True}]
    width, height, rows = decode(gantt_png(steps, [{"from": 0.0, "to": 2.5}], width=300, row=18))
    assert width == 300 and height == 26 + 3 * 18 + 28
    middle = [rows[26 + i * 18 + 9] for i in range(3)]
    colours = zip(middle, (STOP, START, FAILED), strict=True)
    columns = [[x for x, px in enumerate(row) if px == colour] for row, colour in colours]
    assert all(columns), "every step has its bar"
    assert columns[0][-1] <= columns[1][0] + 1 and columns[1][-1] <= columns[2][0] + 1, "bars follow each other"


def test_a_step_without_times_gets_no_bar():
    _w, _h, rows = decode(gantt_png([{"action": "start", "resource": "a", "started_at": None}], width=120))
    assert START not in rows[26 + 9]
