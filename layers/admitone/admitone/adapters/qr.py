"""QR codes: the module matrix from ``qrcode``, written as PNG or SVG without Pillow.

PNG: 1-bit grayscale, no interlace, filter 0 on every row, one IDAT. The symbol keeps
a quiet zone of ``border`` modules (4 by default, as ISO/IEC 18004 asks) and each
module is ``scale`` by ``scale`` pixels, so the image is exact and lossless to scan.
SVG: a white background rectangle and one ``<path>`` whose sub-paths are the runs of
dark modules on each row; the viewBox is measured in modules, so it scales freely.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from enum import StrEnum

import qrcode
from qrcode.constants import ERROR_CORRECT_H, ERROR_CORRECT_L, ERROR_CORRECT_M, ERROR_CORRECT_Q
from qrcode.util import QRData

QUIET_ZONE = 4
DEFAULT_SCALE = 8
MAX_SCALE = 64
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Width, height, bit depth 1, colour type 0 (grayscale), deflate, filter method 0, no interlace.
_IHDR = struct.Struct(">IIBBBBB")


class ErrorCorrection(StrEnum):
    L = "L"
    M = "M"
    Q = "Q"
    H = "H"


_QRCODE_LEVEL = {
    ErrorCorrection.L: ERROR_CORRECT_L,
    ErrorCorrection.M: ERROR_CORRECT_M,
    ErrorCorrection.Q: ERROR_CORRECT_Q,
    ErrorCorrection.H: ERROR_CORRECT_H,
}


@dataclass(frozen=True)
class QrSymbol:
    """A QR symbol: ``modules[y][x]`` is True for a dark module; no quiet zone included."""

    version: int
    modules: tuple[tuple[bool, ...], ...]

    @property
    def size(self) -> int:
        return len(self.modules)

    def to_png(self, *, scale: int = DEFAULT_SCALE, border: int = QUIET_ZONE) -> bytes:
        """A 1-bit grayscale PNG of ``(size + 2 * border) * scale`` pixels a side."""
        if not 1 <= scale <= MAX_SCALE:
            raise ValueError(f"scale must be 1..{MAX_SCALE}")
        if border < 0:
            raise ValueError("border must not be negative")
        side = (self.size + 2 * border) * scale
        padding = -side % 8
        dark, light = "0" * scale, "1" * scale
        edge = light * border
        row_bytes = (side + padding) // 8

        def scanline(row: tuple[bool, ...]) -> bytes:
            bits = edge + "".join(dark if module else light for module in row) + edge
            # Filter type 0, then the row; pad bits past the image are white.
            return b"\x00" + int(bits + "1" * padding, 2).to_bytes(row_bytes, "big")

        quiet_rows = (b"\x00" + b"\xff" * row_bytes) * (border * scale)
        body = b"".join(scanline(row) * scale for row in self.modules)
        pixels = quiet_rows + body + quiet_rows
        return b"".join(
            (
                _PNG_SIGNATURE,
                _chunk(b"IHDR", _IHDR.pack(side, side, 1, 0, 0, 0, 0)),
                _chunk(b"IDAT", zlib.compress(pixels, 9)),
                _chunk(b"IEND", b""),
            )
        )

    def to_svg(self, *, border: int = QUIET_ZONE) -> str:
        """A standalone SVG document; one path of merged horizontal runs."""
        if border < 0:
            raise ValueError("border must not be negative")
        side = self.size + 2 * border
        runs: list[str] = []
        for y, row in enumerate(self.modules):
            x = 0
            while x < self.size:
                if not row[x]:
                    x += 1
                    continue
                start = x
                while x < self.size and row[x]:
                    x += 1
                length = x - start
                runs.append(f"M{start + border} {y + border}h{length}v1h-{length}z")
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}"'
            ' shape-rendering="crispEdges">'
            f'<rect width="{side}" height="{side}" fill="#fff"/>'
            f'<path fill="#000" d="{"".join(runs)}"/>'
            "</svg>"
        )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_qr(data: str, *, level: ErrorCorrection = ErrorCorrection.M) -> QrSymbol:
    """The smallest symbol holding ``data``; base45 text goes in alphanumeric mode."""
    code = qrcode.QRCode(error_correction=_QRCODE_LEVEL[level], border=0)
    # One segment in the densest mode that fits all of ``data`` (alphanumeric for tokens).
    code.add_data(QRData(data), optimize=0)
    code.make(fit=True)
    return QrSymbol(
        version=int(code.version),
        modules=tuple(tuple(bool(module) for module in row) for row in code.get_matrix()),
    )


def render_png(
    data: str,
    *,
    scale: int = DEFAULT_SCALE,
    border: int = QUIET_ZONE,
    level: ErrorCorrection = ErrorCorrection.M,
) -> bytes:
    return encode_qr(data, level=level).to_png(scale=scale, border=border)


def render_svg(
    data: str, *, border: int = QUIET_ZONE, level: ErrorCorrection = ErrorCorrection.M
) -> str:
    return encode_qr(data, level=level).to_svg(border=border)
