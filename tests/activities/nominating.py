"""Builders shared by the nomination tests (R33): real images, real MP4s, a filed form."""

import datetime
import io
import struct
from fractions import Fraction
from zoneinfo import ZoneInfo

import av
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage

from activities.nomination_models import Nomination, NominationPhoto, NominationReport
from tests import factories

BEIJING = ZoneInfo("Asia/Shanghai")
CREATED = datetime.datetime(2026, 9, 1, 10, 0, tzinfo=BEIJING)
START = datetime.datetime(2026, 9, 15, 10, 0, tzinfo=BEIJING)
END = datetime.datetime(2026, 9, 15, 13, 0, tzinfo=BEIJING)
AFTER_END = datetime.datetime(2026, 9, 16, 9, 0, tzinfo=BEIJING)
SUMMARY = "本次活动面向中小学生开展机器人编程体验，共举办三场讲座和两场工作坊，反响热烈。"


def png(name="photo.png", size=(600, 800), color=(30, 120, 200)):
    buffer = io.BytesIO()
    PILImage.new("RGB", size, color).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def mp4_bytes(seconds, audio=True):
    """A real 16x16, 1 fps MPEG-4 video of exactly `seconds`, with an AAC track."""
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        video = container.add_stream("mpeg4", rate=1)
        video.width = video.height = 16
        video.pix_fmt = "yuv420p"
        video.time_base = Fraction(1, 1)
        sound = None
        if audio:
            sound = container.add_stream("aac", rate=8000)
            sound.layout = "mono"
        for second in range(seconds):
            frame = av.VideoFrame.from_image(PILImage.new("RGB", (16, 16), (second % 255, 0, 0)))
            frame.pts = second
            for packet in video.encode(frame):
                container.mux(packet)
        for packet in video.encode():
            container.mux(packet)
        if sound is not None:
            samples = 1024
            for index in range(seconds * 8000 // samples):
                frame = av.AudioFrame(format="fltp", layout="mono", samples=samples)
                frame.planes[0].update(bytes(4 * samples))
                frame.sample_rate = 8000
                frame.pts = index * samples
                for packet in sound.encode(frame):
                    container.mux(packet)
            for packet in sound.encode():
                container.mux(packet)
    return buffer.getvalue()


def mp4(seconds, name="clip.mp4", audio=True):
    return SimpleUploadedFile(name, mp4_bytes(seconds, audio), content_type="video/mp4")


# Where each duration sits in an MP4 header box's payload, for versions 0 and 1.
_DURATIONS = {b"mvhd": (16, 24), b"mdhd": (16, 24), b"tkhd": (20, 28)}


def understate_duration(data, factor):
    """The MP4 with the duration its mvhd, mdhd and tkhd boxes state divided by `factor`;
    the samples, and so what a player plays, are untouched."""
    data = bytearray(data)

    def walk(start, end):
        position = start
        while position + 8 <= end:
            size, kind = struct.unpack(">I4s", data[position : position + 8])
            if size < 8:
                return
            body = position + 8
            if kind in (b"moov", b"trak", b"mdia"):
                walk(body, position + size)
            elif kind in _DURATIONS:
                long = data[body] == 1
                offset = body + _DURATIONS[kind][long]
                layout = ">Q" if long else ">I"
                width = struct.calcsize(layout)
                (value,) = struct.unpack(layout, data[offset : offset + width])
                data[offset : offset + width] = struct.pack(layout, value // factor)
            position += size

    walk(0, len(data))
    return bytes(data)


def post_data(**overrides):
    data = {
        "reports-TOTAL_FORMS": "1",
        "reports-INITIAL_FORMS": "0",
        "reports-MIN_NUM_FORMS": "1",
        "reports-MAX_NUM_FORMS": "20",
        "reports-0-title": "机器人科普体验日走进校园",
        "reports-0-outlet": "广州日报",
        "reports-0-url": "https://example.com/news/1",
        "participants": "120",
        "basic_facts": SUMMARY,
        "main_results": SUMMARY,
        "highlights": SUMMARY,
        "resources": SUMMARY,
        "lessons": SUMMARY,
    }
    data.update(overrides)
    return data


def stored_post_data(nomination, **overrides):
    """The form as it comes back filled in: the stored report rows, unchanged."""
    reports = list(nomination.reports.all())
    data = {key: value for key, value in post_data().items() if not key.startswith("reports-0")}
    data["reports-TOTAL_FORMS"] = data["reports-INITIAL_FORMS"] = str(len(reports))
    for number, report in enumerate(reports):
        data.update(
            {
                f"reports-{number}-id": str(report.pk),
                f"reports-{number}-title": report.title,
                f"reports-{number}-outlet": report.outlet,
                f"reports-{number}-url": report.url,
            }
        )
    data.update(overrides)
    return data


def make(owner, publish=True, mode="offline", title="广州青少年机器人科普体验日"):
    with time_machine.travel(CREATED, tick=False):
        return factories.activity(
            owner=owner, publish=publish, mode=mode, title=title, start_at=START, end_at=END
        )


def url(page):
    return f"/admin/nominations/{page.pk}/"


def file_complete(client, page, photos=3, **overrides):
    files = {
        "photos": [png(f"p{i}.png") for i in range(photos)],
        "participants_evidence": png("evidence.png"),
    }
    return client.post(url(page), {**post_data(**overrides), **files})


def complete_nomination(page, owner=None):
    """A nomination meeting every rule, built without the form: a report, three photos and
    the evidence photo (real images), the participants and the summary."""
    owner = owner or page.owner
    nomination = Nomination.objects.create(
        page=page,
        participants=120,
        participants_evidence=factories.poster(owner, title="evidence.jpg"),
        is_complete=True,
        **dict.fromkeys(
            ("basic_facts", "main_results", "highlights", "resources", "lessons"), SUMMARY
        ),
    )
    NominationReport.objects.create(
        nomination=nomination,
        title="机器人科普体验日",
        outlet="广州日报",
        url="https://example.com/news/1",
    )
    for number in range(3):
        NominationPhoto.objects.create(
            nomination=nomination, image=factories.poster(owner, title=f"p{number}.jpg")
        )
    return nomination
