"""Reading back the PNGs qr.py writes, and decoding their QR code with zxing."""

from __future__ import annotations

import re
import struct
import zlib
from xml.etree import ElementTree

import zxingcpp


def read_png(data: bytes) -> tuple[int, int, list[list[int]]]:
    """A strict reader for what qr.py writes: 1-bit gray, filter 0. Returns 0/255 pixels."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, kinds, idat, header = 8, [], b"", b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length : position + 12 + length])
        assert crc == zlib.crc32(kind + body), f"bad CRC in {kind!r}"
        kinds.append(kind)
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    assert kinds[0] == b"IHDR"
    assert kinds[-1] == b"IEND"
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(
        ">IIBBBBB", header
    )
    assert (depth, colour, compression, filtering, interlace) == (1, 0, 0, 0, 0)
    raw = zlib.decompress(idat)
    stride = (width + 7) // 8 + 1
    assert len(raw) == stride * height
    rows = []
    for y in range(height):
        line = raw[y * stride : (y + 1) * stride]
        assert line[0] == 0, "filter type 0 on every row"
        bits = int.from_bytes(line[1:], "big")
        total = (stride - 1) * 8
        rows.append([255 if bits >> (total - 1 - x) & 1 else 0 for x in range(width)])
    return width, height, rows


def decode_png(data: bytes) -> str:
    width, height, rows = read_png(data)
    pixels = bytes(value for row in rows for value in row)
    barcode = zxingcpp.read_barcode(memoryview(pixels).cast("B", (height, width)))
    assert barcode is not None, "zxing found no QR code"
    assert barcode.format == zxingcpp.BarcodeFormat.QRCode
    return str(barcode.text)


def decode_svg(svg: str, *, scale: int = 8) -> str:
    """Rasterize the SVG as a browser draws it (white background, black runs) and read
    its QR code with zxing."""
    root = ElementTree.fromstring(svg)  # noqa: S314 - our own output, not untrusted input
    _, _, width, height = (int(part) for part in root.attrib["viewBox"].split())
    dark = [[False] * width for _ in range(height)]
    for path in root.iter("{http://www.w3.org/2000/svg}path"):
        for x, y, length, _ in re.findall(r"M(\d+) (\d+)h(\d+)v1h-(\d+)z", path.attrib["d"]):
            for column in range(int(x), int(x) + int(length)):
                dark[int(y)][column] = True
    pixels = bytes(
        0 if dark[y // scale][x // scale] else 255
        for y in range(height * scale)
        for x in range(width * scale)
    )
    barcode = zxingcpp.read_barcode(memoryview(pixels).cast("B", (height * scale, width * scale)))
    assert barcode is not None, "zxing found no QR code"
    return str(barcode.text)
