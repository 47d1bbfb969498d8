"""Demo poster generator (activities.posters): valid uploads that look like real posters."""

import io
import os
import time

import pytest
from PIL import Image, ImageChops, ImageStat

from activities import posters
from activities.posters import make_poster

TITLE = "走进国家重点实验室：探秘量子计算与未来科技"
WHEN = "2025年9月20日 09:00–17:00"
HOST = "中国科学技术协会科普部"
# 50 characters, mixing Chinese, Latin words and full-width punctuation.
LONG_TITLE = "“AI for Science”青少年科学营：从数据到发现——人工智能如何改变科学研究（秋季第三期）"
UPLOAD_LIMIT = 10 * 1024 * 1024
WQY = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"


def decode(data: bytes) -> Image.Image:
    Image.open(io.BytesIO(data)).verify()  # catches truncated or corrupt streams
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def mean_difference(a: bytes, b: bytes) -> float:
    diff = ImageChops.difference(decode(a).convert("RGB"), decode(b).convert("RGB"))
    return sum(ImageStat.Stat(diff).mean) / 3


@pytest.fixture
def fresh_font_cache():
    posters._resolve_font.cache_clear()
    posters._load_font.cache_clear()
    posters._text_width.cache_clear()
    yield
    posters._resolve_font.cache_clear()
    posters._load_font.cache_clear()
    posters._text_width.cache_clear()


def test_long_title_fixture_is_fifty_characters():
    assert len(LONG_TITLE) == 50


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_poster_decodes_in_requested_format_and_meets_upload_rules(fmt):
    data = make_poster(TITLE, WHEN, HOST, subtitle="开放日", seed=3, fmt=fmt)
    img = decode(data)
    assert img.format == fmt
    assert img.size == (900, 1200)
    assert min(img.size) >= 600
    assert len(data) < UPLOAD_LIMIT


def test_default_is_a_compact_jpeg():
    data = make_poster(TITLE, WHEN, HOST)
    assert data[:3] == b"\xff\xd8\xff"
    assert len(data) < 300 * 1024


def test_lowercase_and_jpg_alias_are_accepted():
    assert decode(make_poster(TITLE, WHEN, HOST, fmt="png")).format == "PNG"
    assert decode(make_poster(TITLE, WHEN, HOST, fmt="jpg")).format == "JPEG"


@pytest.mark.parametrize("fmt", ["GIF", "BMP", ""])
def test_unsupported_format_is_rejected(fmt):
    with pytest.raises(ValueError, match="fmt"):
        make_poster(TITLE, WHEN, HOST, fmt=fmt)


def test_custom_size_is_honoured():
    img = decode(make_poster(TITLE, WHEN, HOST, size=(1600, 900), fmt="PNG"))
    assert img.size == (1600, 900)


def test_same_inputs_give_identical_bytes():
    for fmt in ("JPEG", "PNG", "WEBP"):
        first = make_poster(TITLE, WHEN, HOST, subtitle="免费参加", seed=7, fmt=fmt)
        again = make_poster(TITLE, WHEN, HOST, subtitle="免费参加", seed=7, fmt=fmt)
        assert first == again


def test_different_seeds_give_visibly_different_posters():
    images = [make_poster(TITLE, WHEN, HOST, seed=seed, fmt="PNG") for seed in range(8)]
    assert len(set(images)) == 8
    # Not just a few changed bytes: the palette and decorations change the whole picture.
    assert mean_difference(images[0], images[1]) > 10


def test_text_inputs_are_drawn():
    base = make_poster(TITLE, WHEN, HOST, seed=1, fmt="PNG")
    assert make_poster("另一个活动", WHEN, HOST, seed=1, fmt="PNG") != base
    assert make_poster(TITLE, "2025年9月21日", HOST, seed=1, fmt="PNG") != base
    assert make_poster(TITLE, WHEN, "另一家单位", seed=1, fmt="PNG") != base
    assert make_poster(TITLE, WHEN, HOST, subtitle="副标题", seed=1, fmt="PNG") != base


def test_fifty_character_title_renders():
    img = decode(make_poster(LONG_TITLE, WHEN, HOST * 3, subtitle="面向全市中小学生", seed=5))
    assert img.size == (900, 1200)


def test_long_title_shrinks_and_wraps_within_the_margins():
    content_width = 900 - 2 * 60
    short_face, short_lines = posters._fit_title("星空观测之夜", content_width, 560, 1.0)
    long_face, long_lines = posters._fit_title(LONG_TITLE, content_width, 560, 1.0)
    assert len(short_lines) == 1
    assert long_face.size < short_face.size
    assert 2 <= len(long_lines) <= 5
    assert len(long_lines) * long_face.line_height <= 560
    assert all(long_face.width(line) <= content_width for line in long_lines)
    # Wrapping loses no characters (apart from the spaces a break swallows).
    assert "".join(long_lines).replace(" ", "") == LONG_TITLE.replace(" ", "")


def test_chinese_wraps_by_width_without_spaces_and_respects_punctuation():
    face = posters._face(40)
    text = "科学普及是实现创新发展的重要基础性工作。人人都是科普的参与者，也是受益者！"
    width = face.width("科学普及是实现创新") + 1
    lines = posters._wrap(text, face, width)
    assert len(lines) > 3
    assert "".join(lines) == text
    for line in lines:
        assert face.width(line) <= width
        assert line[0] not in "，。！、：；）"
    assert posters._wrap("Open Lab Day", face, face.width("Open Lab") + 1) == ["Open Lab", "Day"]


def test_renders_quickly():
    make_poster(TITLE, WHEN, HOST)  # warm the font caches
    start = time.perf_counter()
    for seed in range(5):
        make_poster(LONG_TITLE, WHEN, HOST, seed=seed)
    # The target is < 100 ms per poster; the bound is loose so a busy CI box does not flake.
    assert (time.perf_counter() - start) / 5 < 0.5


@pytest.mark.skipif(not os.path.isfile(WQY), reason="fonts-wqy-microhei not installed")
def test_poster_font_env_var_is_used(monkeypatch, fresh_font_cache):
    monkeypatch.setenv(posters.FONT_ENV_VAR, WQY)
    assert posters.font_path() == WQY


def test_without_any_cjk_font_a_valid_poster_is_still_drawn(monkeypatch, fresh_font_cache):
    monkeypatch.setenv(posters.FONT_ENV_VAR, "/nonexistent/font.ttf")
    monkeypatch.setattr(posters, "_SYSTEM_FONT_PATTERNS", ())
    monkeypatch.setattr(posters.shutil, "which", lambda name: None)
    assert posters.font_path() is None
    for fmt in ("JPEG", "PNG", "WEBP"):
        img = decode(make_poster(LONG_TITLE, WHEN, HOST, seed=2, fmt=fmt))
        assert img.format == fmt
        assert min(img.size) >= 600


def test_fc_match_fallback_is_ignored_when_it_is_not_a_chinese_font(monkeypatch):
    # fc-match answers ':lang=zh' with DejaVu Sans when no CJK font is known; that is no use.
    monkeypatch.setattr(posters.shutil, "which", lambda name: f"/usr/bin/{name}")
    outputs = {
        "/usr/bin/fc-match": "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf\nen|de|fr",
        "/usr/bin/fc-list": "",
    }
    monkeypatch.setattr(posters, "_run", lambda cmd: outputs[cmd[0]])
    assert posters._fontconfig_candidates() == []
    outputs["/usr/bin/fc-match"] = "/fonts/cjk.ttc\nen|zh-cn|zh-tw"
    outputs["/usr/bin/fc-list"] = "/fonts/other.ttf\n/fonts/cjk.ttc\n"
    assert posters._fontconfig_candidates() == ["/fonts/cjk.ttc", "/fonts/other.ttf"]
