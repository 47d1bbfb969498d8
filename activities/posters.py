"""Demo poster images for seed data and tests.

The platform guide says an activity poster must show the Science Day mark and the words
全国科普日, the activity name, the time and the host unit. ``make_poster`` draws such a poster
with nothing but Pillow so seed commands and tests get realistic uploads without shipping
binary fixtures.

Chinese text needs a CJK font. The lookup order is the ``POSTER_FONT`` environment variable,
well-known Debian/Ubuntu font files, then fontconfig. Without any CJK font the poster still
renders (Pillow's built-in font cannot draw CJK glyphs, so the Chinese text is missing), which
keeps tests working on bare machines.
"""

from __future__ import annotations

import functools
import glob
import io
import logging
import math
import os
import random
import re
import shutil
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageDraw, ImageFont

__all__ = ["FONT_ENV_VAR", "SUPPORTED_FORMATS", "font_path", "make_poster"]

logger = logging.getLogger(__name__)

FONT_ENV_VAR = "POSTER_FONT"
SUPPORTED_FORMATS = ("JPEG", "PNG", "WEBP")
_FORMAT_ALIASES = {"JPG": "JPEG"}

# Tried in order after POSTER_FONT. Noto CJK is globbed because Debian ships several weights.
_SYSTEM_FONT_PATTERNS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Medium.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-*.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)

# The layout is designed on a 900 x 1200 canvas and scaled to the requested size.
_DESIGN_W, _DESIGN_H = 900, 1200
# Shapes are drawn at this multiple and reduced, because ImageDraw does not antialias.
_SUPERSAMPLE = 2

# A Chinese line must not start with closing punctuation or end with opening punctuation.
_NO_LINE_START = set("，。、；：！？）》」』】〕”’…—·%,.;:!?)]}")
_NO_LINE_END = set("（《「『【〔“‘([{")
# Latin words and numbers (dates, "9:00-17:00", "AI") must not be split mid-token.
_TOKEN_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.:/%_\-–]*|\s+|.", re.DOTALL)

RGB = tuple[int, int, int]
FontSpec = tuple[str, int]  # (file path, face index inside a .ttc collection)
AnyFont = ImageFont.FreeTypeFont | ImageFont.ImageFont


@dataclass(frozen=True)
class _Palette:
    top: RGB
    bottom: RGB
    accent: RGB


# Dark-to-brighter science themes; every pair keeps white text readable over the whole height.
_PALETTES = (
    _Palette((9, 45, 110), (25, 118, 210), (255, 180, 0)),  # the favicon's science blue
    _Palette((0, 77, 64), (0, 137, 123), (255, 213, 79)),  # lab teal
    _Palette((40, 22, 111), (94, 53, 177), (77, 208, 225)),  # deep space violet
    _Palette((13, 27, 42), (27, 73, 101), (255, 183, 3)),  # night sky
    _Palette((27, 94, 32), (56, 142, 60), (255, 235, 59)),  # ecology green
    _Palette((140, 20, 20), (216, 67, 21), (255, 224, 130)),  # China red
    _Palette((1, 67, 125), (0, 131, 143), (255, 112, 67)),  # ocean
    _Palette((74, 20, 140), (173, 20, 87), (255, 202, 40)),  # aurora plum
)

# FreeType faces must not be used from two threads at once, and the cached fonts are shared.
_RENDER_LOCK = threading.Lock()

_WHITE: RGB = (255, 255, 255)
_TEXT_DARK: RGB = (31, 41, 51)


# --------------------------------------------------------------------------------------------
# Fonts
# --------------------------------------------------------------------------------------------


def font_path() -> str | None:
    """Path of the CJK font posters use, or None when only Pillow's built-in font is left."""
    spec = _font_spec()
    return spec[0] if spec else None


def _font_spec() -> FontSpec | None:
    # The env var is read on every call (tests may set it) while the disk and fc-match
    # lookup behind it is cached per value.
    return _resolve_font(os.environ.get(FONT_ENV_VAR, "").strip())


@functools.lru_cache(maxsize=8)
def _resolve_font(env_value: str) -> FontSpec | None:
    if env_value:
        spec = _usable_font(env_value)
        if spec:
            return spec
        logger.warning("%s=%r is not a loadable font; looking elsewhere", FONT_ENV_VAR, env_value)
    for pattern in _SYSTEM_FONT_PATTERNS:
        for path in sorted(glob.glob(pattern)):
            spec = _usable_font(path)
            if spec:
                return spec
    for path in _fontconfig_candidates():
        spec = _usable_font(path)
        if spec:
            return spec
    logger.info("No CJK font found; posters use Pillow's built-in font without Chinese glyphs")
    return None


def _fontconfig_candidates() -> list[str]:
    """CJK font files fontconfig knows about, best match first."""
    fc_match = shutil.which("fc-match")
    if not fc_match:
        return []
    candidates = []
    # fc-match always returns *some* font, e.g. DejaVu Sans when its cache predates the CJK
    # package, so only accept it when the font really covers Chinese.
    out = _run([fc_match, "-f", "%{file}\n%{lang}", ":lang=zh"])
    if out:
        path, _, langs = out.partition("\n")
        if any(lang.startswith("zh") for lang in langs.split("|")):
            candidates.append(path.strip())
    fc_list = shutil.which("fc-list")
    if fc_list:
        out = _run([fc_list, ":lang=zh", "-f", "%{file}\n"])
        candidates += sorted({line.strip() for line in (out or "").splitlines() if line.strip()})
    return list(dict.fromkeys(candidates))  # fc-match's pick is usually listed again


def _run(cmd: list[str]) -> str | None:
    try:
        # Fixed argv from shutil.which, no shell, no user input.
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=5, check=False)  # noqa: S603
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout if proc.returncode == 0 else None


def _usable_font(path: str) -> FontSpec | None:
    """(path, face index) if FreeType can open the file, preferring a Simplified Chinese face."""
    if not os.path.isfile(path):
        return None
    try:
        ImageFont.truetype(path, 12)
    except (OSError, ValueError):
        return None
    # Noto's .ttc bundles JP/KR/SC/TC faces with region-specific glyph shapes; pick SC.
    for index in range(10):
        try:
            family = ImageFont.truetype(path, 12, index=index).getname()[0] or ""
        except (OSError, ValueError):
            break
        if family.endswith((" SC", " CN")):
            return path, index
    return path, 0


@functools.lru_cache(maxsize=64)
def _load_font(spec: FontSpec | None, size: int) -> AnyFont:
    # Cached because opening a multi-megabyte .ttc costs milliseconds and the fitting loop asks
    # for many sizes. Cached faces are shared, hence _RENDER_LOCK in make_poster.
    if spec is None:
        return ImageFont.load_default(size=size)
    return ImageFont.truetype(spec[0], size, index=spec[1])


@functools.lru_cache(maxsize=4096)
def _text_width(font: AnyFont, text: str) -> float:
    # Line breaking measures the same characters over and over while the title size is
    # searched; caching per (font, token) keeps a poster well under the time budget.
    return font.getlength(text)


@dataclass(frozen=True)
class _Face:
    font: AnyFont
    size: int
    bold: bool = False

    @property
    def stroke(self) -> int:
        # CJK fonts on servers rarely ship a bold weight, so bold is faked. A thick stroke
        # fills the counters of dense characters such as 量, so the stroke stays thin and
        # the rest of the weight comes from a small sideways smear (see ``smear``).
        if not self.bold or not isinstance(self.font, ImageFont.FreeTypeFont):
            return 0
        return max(1, round(self.size / 90))

    @property
    def smear(self) -> int:
        return round(self.size / 45) if self.stroke and self.size >= 40 else 0

    def width(self, text: str) -> float:
        if not text:
            return 0.0
        return self.tokens_width(_TOKEN_RE.findall(text))

    def tokens_width(self, tokens: list[str]) -> float:
        return sum(_text_width(self.font, t) for t in tokens) + 2 * self.stroke + self.smear

    @property
    def line_height(self) -> int:
        return round(self.size * 1.32)


def _face(size: int, *, bold: bool = False) -> _Face:
    size = max(8, int(size))
    return _Face(_load_font(_font_spec(), size), size, bold)


# --------------------------------------------------------------------------------------------
# Text layout
# --------------------------------------------------------------------------------------------


def _wrap(text: str, face: _Face, width: float) -> list[str]:
    """Greedy line breaking by rendered width, character by character for Chinese.

    Chinese has no spaces to break at, so any character boundary is a break point, while Latin
    words and numbers stay whole unless one alone is wider than the line. Closing punctuation
    never starts a line: the character before it moves down too. Explicit newlines are kept.
    """
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        tokens: list[str] = []
        for token in _TOKEN_RE.findall(paragraph.strip()):
            if len(token) > 1 and face.tokens_width([token]) > width:
                tokens += list(token)  # hard-break a word that cannot fit on any line
            else:
                tokens.append(" " if token.isspace() else token)
        line: list[str] = []
        for token in tokens:
            if token.isspace() and (not line or line[-1].isspace()):
                continue
            if not line or face.tokens_width([*line, token]) <= width:
                line.append(token)
                continue
            carry: list[str] = []
            if token in _NO_LINE_START:
                while len(line) > 1 and (not carry or carry[0] in _NO_LINE_START):
                    carry.insert(0, line.pop())
            while len(line) > 1 and line[-1] in _NO_LINE_END:
                carry.insert(0, line.pop())
            lines.append("".join(line).rstrip())
            line = carry if token.isspace() else [*carry, token]
        lines.append("".join(line).rstrip())
    return lines


def _clamp_lines(lines: list[str], face: _Face, width: float, max_lines: int) -> list[str]:
    """Keep at most max_lines, ending the last kept one with an ellipsis if text was cut."""
    if len(lines) <= max_lines:
        return lines
    kept = lines[:max_lines]
    last = kept[-1]
    while last and face.width(last + "…") > width:
        last = last[:-1]
    kept[-1] = last + "…"
    return kept


def _fit_title(
    title: str, width: float, max_height: float, scale: float
) -> tuple[_Face, list[str]]:
    """Largest title size (down to a floor) whose wrapped lines fit the box."""
    largest, smallest = round(92 * scale), round(44 * scale)
    step = max(1, round(4 * scale))
    for size in range(largest, smallest - 1, -step):
        face = _face(size, bold=True)
        lines = _wrap(title, face, width)
        max_lines = 3 if size >= 70 * scale else 5
        # A lone character on the last line looks like a mistake; a smaller size avoids it.
        widow = len(lines) > 1 and len(lines[-1]) == 1 and size > smallest
        if len(lines) <= max_lines and len(lines) * face.line_height <= max_height and not widow:
            return face, lines
    face = _face(smallest, bold=True)
    max_lines = max(1, int(max_height // face.line_height))
    return face, _clamp_lines(_wrap(title, face, width), face, width, max_lines)


# --------------------------------------------------------------------------------------------
# Drawing helpers
# --------------------------------------------------------------------------------------------


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def _gradient(size: tuple[int, int], top: RGB, bottom: RGB) -> Image.Image:
    # One column computed in Python and stretched sideways: far cheaper than per-pixel work.
    w, h = size
    column = bytearray()
    for y in range(h):
        t = y / max(1, h - 1)
        t = t * t * (3 - 2 * t)  # smoothstep: softer ends than a linear ramp
        column += bytes(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
    return Image.frombytes("RGB", (1, h), bytes(column)).resize((w, h), Image.Resampling.NEAREST)


def _glow(
    size: tuple[int, int], center: tuple[float, float], radius: float, strength: int
) -> Image.Image:
    """Alpha mask of a soft light spot, the usual 'stage light' behind a headline."""
    d = max(2, round(radius * 2))
    # radial_gradient is 0 at the centre and 181 at the inscribed circle's edge.
    lut = [round(strength * max(0.0, 1 - v / 181) ** 2) for v in range(256)]
    spot = Image.radial_gradient("L").point(lut).resize((d, d), Image.Resampling.BILINEAR)
    mask = Image.new("L", size, 0)
    mask.paste(spot, (round(center[0] - d / 2), round(center[1] - d / 2)))
    return mask


class _Layer:
    """A supersampled alpha mask for one colour, pasted onto the poster when done.

    Drawing into masks (not onto an RGBA layer) keeps antialiased edges free of the dark
    fringes an unpremultiplied RGBA reduce would produce, and overlapping strokes of one
    colour do not darken each other. A layer covers only ``box`` of the canvas because
    allocating, reducing and pasting full-canvas masks dominated the render time.
    """

    def __init__(self, box: tuple[float, float, float, float]):
        x0, y0 = max(0, math.floor(box[0])), max(0, math.floor(box[1]))
        self.origin = (x0, y0)
        self.size = (max(1, math.ceil(box[2]) - x0), max(1, math.ceil(box[3]) - y0))
        k = _SUPERSAMPLE
        self.mask = Image.new("L", (self.size[0] * k, self.size[1] * k), 0)
        self.draw = ImageDraw.Draw(self.mask)
        self.used = False

    def _x(self, x: float) -> float:
        return (x - self.origin[0]) * _SUPERSAMPLE

    def _y(self, y: float) -> float:
        return (y - self.origin[1]) * _SUPERSAMPLE

    def _pts(self, points: list[tuple[float, float]]) -> list[tuple[float, float]]:
        return [(self._x(x), self._y(y)) for x, y in points]

    @staticmethod
    def _w(width: float) -> int:
        return max(1, round(width * _SUPERSAMPLE))

    def circle(self, cx: float, cy: float, r: float, alpha: int, width: float = 0) -> None:
        box = (self._x(cx - r), self._y(cy - r), self._x(cx + r), self._y(cy + r))
        if width:
            self.draw.ellipse(box, outline=alpha, width=self._w(width))
        else:
            self.draw.ellipse(box, fill=alpha)
        self.used = True

    def polygon(self, points: list[tuple[float, float]], alpha: int, width: float = 0) -> None:
        pts = self._pts(points)
        if width:
            # Repeating the first two points closes the outline with a rounded joint.
            self.draw.line([*pts, pts[0], pts[1]], fill=alpha, width=self._w(width), joint="curve")
        else:
            self.draw.polygon(pts, fill=alpha)
        self.used = True

    def rounded_rect(
        self, box: tuple[float, float, float, float], radius: float, alpha: int
    ) -> None:
        sbox = (self._x(box[0]), self._y(box[1]), self._x(box[2]), self._y(box[3]))
        self.draw.rounded_rectangle(sbox, round(radius * _SUPERSAMPLE), fill=alpha)
        self.used = True

    def line(self, points: list[tuple[float, float]], alpha: int, width: float) -> None:
        self.draw.line(self._pts(points), fill=alpha, width=self._w(width))
        self.used = True

    def paste_onto(self, img: Image.Image, color: RGB, extra: Image.Image | None = None) -> None:
        """Blend ``color`` into img through this mask, merged with ``extra`` (a 1x mask of the
        layer's size) when given."""
        if not self.used and extra is None:
            return
        mask = self.mask.reduce(_SUPERSAMPLE)
        if extra is not None:
            mask = ImageChops.lighter(mask, extra)
        bbox = mask.getbbox()
        if bbox is None:
            return
        mask = mask.crop(bbox)
        # Pasting a solid image is about twice as fast as pasting a bare colour tuple.
        img.paste(
            Image.new("RGB", mask.size, color),
            (self.origin[0] + bbox[0], self.origin[1] + bbox[1]),
            mask,
        )


def _ellipse_points(
    cx: float, cy: float, rx: float, ry: float, angle: float, steps: int = 96
) -> list[tuple[float, float]]:
    cos_a, sin_a = math.cos(angle), math.sin(angle)
    points = []
    for k in range(steps):
        t = 2 * math.pi * k / steps
        x, y = rx * math.cos(t), ry * math.sin(t)
        points.append((cx + x * cos_a - y * sin_a, cy + x * sin_a + y * cos_a))
    return points


def _hexagon(cx: float, cy: float, r: float, rotation: float = 0) -> list[tuple[float, float]]:
    return [
        (
            cx + r * math.cos(rotation + math.pi / 3 * k),
            cy + r * math.sin(rotation + math.pi / 3 * k),
        )
        for k in range(6)
    ]


def _draw_mark(cx: float, cy: float, r: float, disk: _Layer, orbits: _Layer, core: _Layer) -> None:
    """The Science Day mark as in static/img/favicon.svg: a disk, three orbits, a nucleus."""
    disk.circle(cx, cy, r, 255)
    for k in range(3):
        orbits.polygon(_ellipse_points(cx, cy, r * 0.8, r * 0.3, math.pi / 3 * k), 255, r * 0.1)
    core.circle(cx, cy, r * 0.17, 255)


def _draw_decorations(
    rng: random.Random, size: tuple[int, int], scale: float, light: _Layer, accent: _Layer
) -> None:
    """Seed-driven science motifs kept faint so they never compete with the text."""
    w, h = size
    u = scale
    # A large atom orbiting off the top-right corner.
    ox, oy = w * rng.uniform(0.82, 0.95), h * rng.uniform(0.08, 0.18)
    orbit_r = w * rng.uniform(0.30, 0.40)
    base = rng.uniform(0, math.pi)
    for k in range(3):
        angle = base + math.pi / 3 * k
        light.polygon(_ellipse_points(ox, oy, orbit_r, orbit_r * 0.34, angle, 160), 46, 2.5 * u)
        t = rng.uniform(0, 2 * math.pi)
        ex, ey = orbit_r * math.cos(t), orbit_r * 0.34 * math.sin(t)
        accent.circle(
            ox + ex * math.cos(angle) - ey * math.sin(angle),
            oy + ex * math.sin(angle) + ey * math.cos(angle),
            7 * u,
            190,
        )
    light.circle(ox, oy, orbit_r * 0.16, 40)

    # Concentric rings rising from the lower left, behind the info panel.
    rx, ry = w * rng.uniform(-0.05, 0.15), h * rng.uniform(0.62, 0.75)
    for i in range(rng.randint(3, 5)):
        light.circle(rx, ry, (110 + 55 * i) * u, 34 - 5 * i, 2 * u)

    # A benzene-like hexagon cluster on the right edge.
    hx, hy = w * rng.uniform(0.80, 0.92), h * rng.uniform(0.40, 0.55)
    hr = rng.uniform(26, 38) * u
    cells = [(0, 0), (1, 0), (0.5, 1), (-0.5, 1), (1.5, 1), (1, 2)]
    for cx, cy in rng.sample(cells, rng.randint(3, len(cells))):
        px = hx + cx * hr * math.sqrt(3)
        py = hy + cy * hr * 1.5
        light.polygon(_hexagon(px, py, hr, math.pi / 6), 50, 2 * u)
    accent.circle(hx, hy, 5 * u, 170)

    # A dot grid, a staple of tidy poster layouts.
    gx = w * rng.choice((0.06, 0.72))
    gy = h * rng.uniform(0.52, 0.6)
    for i in range(5):
        for j in range(4):
            light.circle(gx + i * 18 * u, gy + j * 18 * u, 2.6 * u, 80)

    # Scattered "stars" and bubbles.
    for _ in range(rng.randint(14, 22)):
        light.circle(
            rng.uniform(0, w),
            rng.uniform(0, h * 0.7),
            rng.uniform(1.5, 3.5) * u,
            rng.randint(60, 150),
        )
    for _ in range(rng.randint(3, 6)):
        r = rng.uniform(10, 34) * u
        light.circle(rng.uniform(0, w), rng.uniform(0, h), r, rng.randint(25, 55), 2 * u)


def _draw_clock(layer: _Layer, cx: float, cy: float, r: float, u: float) -> None:
    layer.circle(cx, cy, r, 255, 3.2 * u)
    layer.line([(cx, cy - r * 0.55), (cx, cy), (cx + r * 0.45, cy + r * 0.2)], 255, 3.2 * u)


def _draw_building(layer: _Layer, cx: float, cy: float, r: float, u: float) -> None:
    top, bottom = cy - r, cy + r
    layer.polygon([(cx - r, cy - r * 0.35), (cx, top), (cx + r, cy - r * 0.35)], 255)
    for k in (-0.65, 0, 0.65):
        x = cx + k * r
        layer.line([(x, cy - r * 0.2), (x, bottom - r * 0.3)], 255, 3.6 * u)
    layer.rounded_rect((cx - r, bottom - r * 0.22, cx + r, bottom), 1.5 * u, 255)


def _draw_text(
    draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, face: _Face, fill: RGB
) -> None:
    if not text:
        return
    x = xy[0]
    if text[0] in _NO_LINE_END and isinstance(face.font, ImageFont.FreeTypeFont):
        # Full-width opening brackets and quotes carry their blank half on the left; pull the
        # line back so the ink lines up with the text edge, as Chinese typesetting does.
        # getbbox() reports the advance box here, so measure the rendered ink instead; never
        # pull back more than half an em, the usual compression for such punctuation.
        mask, offset = face.font.getmask2(text[0], mode="L")
        ink = mask.getbbox()
        if ink:
            x -= min(offset[0] + ink[0], face.size / 2)
    for dx in range(face.smear + 1):
        draw.text(
            (x + dx, xy[1]),
            text,
            font=face.font,
            fill=fill,
            stroke_width=face.stroke,
            stroke_fill=fill,
        )


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


@dataclass
class _InfoRow:
    label: str
    lines: list[str]
    label_width: float
    icon: Callable[[_Layer, float, float, float, float], None]


def make_poster(
    title: str,
    when: str,
    host: str,
    *,
    subtitle: str = "",
    seed: int = 0,
    size: tuple[int, int] = (900, 1200),
    fmt: str = "JPEG",
    quality: int = 85,
) -> bytes:
    """Draw an activity poster and return it encoded as JPEG, PNG or WebP bytes.

    The poster carries everything the platform guide asks for: the Science Day mark with the
    words 全国科普日, the activity name (wrapped, shrunk to fit up to ~50 characters), the time
    and "主办单位：{host}". ``seed`` picks the palette and decorations, so equal inputs give
    equal bytes and different seeds give visibly different posters.
    """
    fmt_name = _FORMAT_ALIASES.get(fmt.upper(), fmt.upper())
    if fmt_name not in SUPPORTED_FORMATS:
        raise ValueError(f"fmt must be one of {', '.join(SUPPORTED_FORMATS)}, got {fmt!r}")
    w, h = (int(v) for v in size)
    if w < 100 or h < 100:
        raise ValueError(f"size must be at least 100 x 100 px, got {size!r}")
    with _RENDER_LOCK:
        img = _render(title, when, host, subtitle, seed, (w, h))
    return _encode(img, fmt_name, quality)


def _render(
    title: str, when: str, host: str, subtitle: str, seed: int, size: tuple[int, int]
) -> Image.Image:
    w, h = size
    rng = random.Random(seed)
    palette = _PALETTES[seed % len(_PALETTES)]
    scale = min(w / _DESIGN_W, h / _DESIGN_H)
    u = scale
    margin = round(60 * u)

    # ---- Layout first: every text block is measured before anything is drawn. -------------
    mark_r = 56 * u
    header_face = _face(round(60 * u), bold=True)
    tagline_face = _face(round(19 * u))
    tagline = "NATIONAL SCIENCE POPULARIZATION DAY"
    if tagline_face.width(tagline) > w - 2 * margin - 2 * mark_r - 24 * u:
        tagline = "NATIONAL SCIENCE DAY"
    header_bottom = margin + 2 * mark_r

    info_face = _face(round(31 * u))
    label_face = _face(round(31 * u), bold=True)
    pad = 34 * u
    icon_w = 46 * u
    text_x = margin + pad + icon_w + 20 * u
    text_w = w - margin - pad - text_x
    rows = []
    # Joint hosts make long unit names common, so the host may take one more line.
    for label, value, icon, max_lines in (
        ("活动时间：", when, _draw_clock, 2),
        ("主办单位：", host, _draw_building, 3),
    ):
        label_w = label_face.width(label)
        lines = _wrap(value, info_face, text_w - label_w)
        rows.append(
            _InfoRow(
                label, _clamp_lines(lines, info_face, text_w - label_w, max_lines), label_w, icon
            )
        )
    row_gap = 20 * u
    panel_h = 2 * pad + sum(len(r.lines) for r in rows) * info_face.line_height + row_gap
    panel_top = h - margin - panel_h

    region_top = header_bottom + 70 * u
    region_bottom = panel_top - 56 * u
    content_w = w - 2 * margin
    bar_h, bar_gap = 8 * u, 30 * u
    sub_face = _face(round(34 * u))
    sub_lines = (
        _clamp_lines(_wrap(subtitle, sub_face, content_w), sub_face, content_w, 2)
        if subtitle.strip()
        else []
    )
    sub_block = (28 * u + len(sub_lines) * sub_face.line_height) if sub_lines else 0
    title_room = max(1.0, region_bottom - region_top - bar_h - bar_gap - sub_block)
    title_face, title_lines = _fit_title(title.strip(), content_w, title_room, scale)
    block_h = bar_h + bar_gap + len(title_lines) * title_face.line_height + sub_block
    # Slightly above centre reads as intentional; dead centre looks like it slid down.
    block_top = region_top + max(0.0, (region_bottom - region_top - block_h) * 0.42)

    # ---- Background and shapes (supersampled masks). ----------------------------------------
    img = _gradient((w, h), palette.top, palette.bottom)
    glow = _glow((w, h), (w * rng.uniform(0.6, 0.9), h * rng.uniform(0.15, 0.35)), w * 0.6, 70)
    deco_light, deco_accent = _Layer((0, 0, w, h)), _Layer((0, 0, w, h))
    _draw_decorations(rng, (w, h), scale, deco_light, deco_accent)
    deco_light.paste_onto(img, _WHITE, glow)
    deco_accent.paste_onto(img, palette.accent)

    # Separate layers for the header, the title bar and the panel keep each pasted region small.
    mark_cx, mark_cy = margin + mark_r, margin + mark_r
    mark_box = (margin - 2, margin - 2, mark_cx + mark_r + 2, mark_cy + mark_r + 2)
    disk, orbits, core = _Layer(mark_box), _Layer(mark_box), _Layer(mark_box)
    _draw_mark(mark_cx, mark_cy, mark_r, disk, orbits, core)
    bar = _Layer((margin, block_top, margin + 84 * u, block_top + bar_h))
    bar.rounded_rect((margin, block_top, margin + 84 * u, block_top + bar_h), bar_h / 2, 255)
    panel_box = (margin, panel_top, w - margin, h - margin)
    panel, icons = _Layer(panel_box), _Layer(panel_box)
    panel.rounded_rect(panel_box, 26 * u, 242)
    y = panel_top + pad
    for row in rows:
        row.icon(icons, margin + pad + icon_w / 2, y + info_face.line_height / 2, 17 * u, u)
        y += len(row.lines) * info_face.line_height + row_gap
    disk.paste_onto(img, _WHITE)
    orbits.paste_onto(img, palette.top)
    core.paste_onto(img, palette.accent)
    bar.paste_onto(img, palette.accent)
    panel.paste_onto(img, _WHITE)
    icons.paste_onto(img, palette.top)

    # ---- Text, drawn at full resolution (FreeType antialiases it). --------------------------
    draw = ImageDraw.Draw(img)
    text_left = mark_cx + mark_r + 24 * u
    header_bbox = header_face.font.getbbox("全国科普日")
    tag_h = tagline_face.line_height
    header_h = header_bbox[3] + 10 * u + tag_h
    header_y = mark_cy - header_h / 2
    _draw_text(draw, (text_left, header_y), "全国科普日", header_face, _WHITE)
    _draw_text(
        draw,
        (text_left + 2 * u, header_y + header_bbox[3] + 10 * u),
        tagline,
        tagline_face,
        _mix(_WHITE, palette.top, 0.22),
    )

    y = block_top + bar_h + bar_gap
    for line in title_lines:
        _draw_text(draw, (margin, y), line, title_face, _WHITE)
        y += title_face.line_height
    if sub_lines:
        y += 28 * u
        for line in sub_lines:
            _draw_text(draw, (margin, y), line, sub_face, _mix(palette.accent, _WHITE, 0.35))
            y += sub_face.line_height

    y = panel_top + pad
    # Centre the glyphs in their line box rather than hanging them from the top.
    nudge = (info_face.line_height - info_face.size) / 2 - 2 * u
    for row in rows:
        _draw_text(draw, (text_x, y + nudge), row.label, label_face, palette.top)
        for line in row.lines:
            _draw_text(draw, (text_x + row.label_width, y + nudge), line, info_face, _TEXT_DARK)
            y += info_face.line_height
        y += row_gap
    return img


def _encode(img: Image.Image, fmt: str, quality: int) -> bytes:
    buf = io.BytesIO()
    if fmt == "JPEG":
        img.save(buf, "JPEG", quality=quality, optimize=True)
    elif fmt == "WEBP":
        img.save(buf, "WEBP", quality=quality, method=2)
    else:
        img.save(buf, "PNG", compress_level=6)
    return buf.getvalue()
