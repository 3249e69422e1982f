"""QR rendering: PNG and SVG decode back to the exact token; the module grid is exact."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from xml.etree import ElementTree

import pytest

from admitone.adapters.qr import (
    DEFAULT_SCALE,
    QUIET_ZONE,
    ErrorCorrection,
    QrSymbol,
    encode_qr,
    render_png,
    render_svg,
)
from admitone.domain.ids import Prefix, new_id
from admitone.domain.keys import KeyPurpose, KeySet, generate_keyset_document
from admitone.domain.tokens import TicketClaims, issue_ticket_token
from tests.qr_decode import decode_png, read_png

NOW = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)
KEY = KeySet.from_document(generate_keyset_document(["ticket"], now=NOW)).signing_key(
    KeyPurpose.TICKET
)
SVG_NS = "{http://www.w3.org/2000/svg}"


def _token(version: int = 1) -> str:
    claims = TicketClaims(
        ticket_id=new_id(Prefix.TICKET),
        event_id=new_id(Prefix.EVENT),
        ticket_type_id=new_id(Prefix.TICKET_TYPE),
        version=version,
        expires_at=datetime(2027, 1, 1, tzinfo=UTC),
    )
    return issue_ticket_token(claims, KEY)


TOKENS = [_token(version) for version in (1, 2, 700, 65535)]
TOKEN = TOKENS[0]


def _svg_grid(svg: str) -> tuple[int, list[list[bool]], list[tuple[int, int, int]]]:
    root = ElementTree.fromstring(svg)  # noqa: S314 - our own output, not untrusted input
    assert root.tag == f"{SVG_NS}svg"
    _, _, width, height = (int(part) for part in root.attrib["viewBox"].split())
    assert width == height
    paths = root.findall(f"{SVG_NS}path")
    assert len(paths) == 1
    background = root.find(f"{SVG_NS}rect")
    assert background is not None
    assert background.attrib["fill"] == "#fff"
    assert (background.attrib["width"], background.attrib["height"]) == (str(width),) * 2
    grid = [[False] * width for _ in range(height)]
    runs = []
    d = paths[0].attrib["d"]
    assert re.fullmatch(r"(M\d+ \d+h\d+v1h-\d+z)*", d)
    for x, y, length, back in re.findall(r"M(\d+) (\d+)h(\d+)v1h-(\d+)z", d):
        assert length == back
        runs.append((int(x), int(y), int(length)))
        for column in range(int(x), int(x) + int(length)):
            assert not grid[int(y)][column], "runs never overlap"
            grid[int(y)][column] = True
    return width, grid, runs


def test_a_ticket_token_fits_qr_version_6_at_level_m() -> None:
    for token in TOKENS:
        symbol = encode_qr(token)
        assert symbol.version == 6
        assert symbol.size == 41


def test_the_token_is_encoded_in_alphanumeric_mode() -> None:
    # 153 characters fit version 6-M only in alphanumeric mode (byte mode holds 106).
    assert encode_qr(TOKEN, level=ErrorCorrection.M).version == 6
    assert encode_qr(TOKEN.lower()).version > 6


@pytest.mark.parametrize("token", TOKENS)
def test_the_png_decodes_to_the_exact_token(token: str) -> None:
    assert decode_png(render_png(token)) == token


@pytest.mark.parametrize("scale", [2, 3, 5, 8])
def test_the_png_decodes_at_any_integer_scale(scale: int) -> None:
    assert decode_png(render_png(TOKEN, scale=scale)) == TOKEN


@pytest.mark.parametrize("level", list(ErrorCorrection))
def test_every_error_correction_level_decodes(level: ErrorCorrection) -> None:
    assert decode_png(render_png(TOKEN, level=level, scale=4)) == TOKEN


def test_non_alphanumeric_text_is_encoded_in_byte_mode_and_decodes() -> None:
    text = "https://admitone.test/t/abc?x=1"

    assert decode_png(render_png(text, scale=4)) == text


def test_the_png_pixels_are_the_modules_with_a_white_quiet_zone() -> None:
    symbol = encode_qr(TOKEN)
    scale = 3

    width, height, rows = read_png(symbol.to_png(scale=scale))

    side = (symbol.size + 2 * QUIET_ZONE) * scale
    assert (width, height) == (side, side)
    for y in range(height):
        for x in range(width):
            module_y, module_x = y // scale - QUIET_ZONE, x // scale - QUIET_ZONE
            inside = 0 <= module_y < symbol.size and 0 <= module_x < symbol.size
            dark = inside and symbol.modules[module_y][module_x]
            assert rows[y][x] == (0 if dark else 255), (x, y)


def test_the_png_is_small() -> None:
    png = render_png(TOKEN)

    assert len(png) < 1500
    assert read_png(png)[0] == (41 + 2 * QUIET_ZONE) * DEFAULT_SCALE


def test_a_png_without_quiet_zone_is_just_the_modules() -> None:
    symbol = encode_qr(TOKEN)

    width, _, rows = read_png(symbol.to_png(scale=1, border=0))

    assert width == symbol.size
    assert [[value == 0 for value in row] for row in rows] == [list(r) for r in symbol.modules]


def test_the_svg_is_well_formed_and_its_grid_is_the_qr_matrix() -> None:
    symbol = encode_qr(TOKEN)

    side, grid, _ = _svg_grid(symbol.to_svg())

    assert side == symbol.size + 2 * QUIET_ZONE
    for y in range(side):
        for x in range(side):
            module_y, module_x = y - QUIET_ZONE, x - QUIET_ZONE
            inside = 0 <= module_y < symbol.size and 0 <= module_x < symbol.size
            assert grid[y][x] == (inside and symbol.modules[module_y][module_x]), (x, y)


def test_the_svg_merges_each_horizontal_run_into_one_sub_path() -> None:
    _, grid, runs = _svg_grid(render_svg(TOKEN))

    for x, y, length in runs:
        # A run is maximal: the modules just outside it are light.
        assert not grid[y][x - 1]
        assert x + length == len(grid) or not grid[y][x + length]
    assert len(render_svg(TOKEN)) < 8000


def test_the_svg_border_is_configurable() -> None:
    side, grid, _ = _svg_grid(render_svg(TOKEN, border=0))

    assert side == 41
    assert grid[0][0]  # the finder pattern's corner


def test_the_convenience_functions_match_the_symbol() -> None:
    symbol = encode_qr(TOKEN)

    assert render_png(TOKEN, scale=2) == symbol.to_png(scale=2)
    assert render_svg(TOKEN) == symbol.to_svg()


@pytest.mark.parametrize(
    "render",
    [
        lambda symbol: symbol.to_png(scale=0),
        lambda symbol: symbol.to_png(scale=65),
        lambda symbol: symbol.to_png(border=-1),
        lambda symbol: symbol.to_svg(border=-1),
    ],
)
def test_bad_sizes_are_refused(render: object) -> None:
    symbol = encode_qr(TOKEN)

    with pytest.raises(ValueError, match="must"):
        render(symbol)  # type: ignore[operator]


def test_a_symbol_is_a_plain_value() -> None:
    symbol = QrSymbol(version=1, modules=((True, False), (False, True)))

    assert symbol.size == 2
    assert symbol.to_svg(border=0).count("M") == 2
