"""What every uploaded image and document must pass before a byte is stored (issue #9).

Wagtail's own image field checks the name's extension, the size and the format it reads from
the header, but it counts pixels only after decoding the whole picture (a file declaring
10,000 × 9,000 pixels costs hundreds of megabytes first) and a truncated JPEG or PNG makes it
fail with a server error. Here the header is read first, the pixel count is checked before
anything is decoded, the picture is then decoded completely, and a file that carries web page
code alongside its picture (a polyglot) is refused too. The nomination photos (R33) and the
admin's image and document forms share these checks.

Phone photos in HEIC or HEIF (what iPhones take) pass the same checks and are then stored as
JPEG: no browser but Safari shows HEIC, and a poster or nomination photo must be JPEG, PNG
or WebP (R12, R33).

A picture is decoded once per upload, by the damage check (a JPEG at an eighth of its size):
Wagtail decoded it in full four more times, twice to count pixels counted here already and
twice to read a width and height its header states (read_sizes_from_headers)."""

import io
import os
import re
import threading
import warnings
import zipfile

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from PIL import Image as PILImage
from PIL import ImageOps, JpegImagePlugin
from wagtail.documents.forms import BaseDocumentForm
from wagtail.images.fields import WagtailImageField
from wagtail.images.forms import BaseImageForm

from .nomination_models import storage_name

# Pillow's format name for each extension Wagtail may allow (WAGTAILIMAGES_EXTENSIONS).
PILLOW_FORMATS = {
    "jpg": "JPEG",
    "jpeg": "JPEG",
    "png": "PNG",
    "webp": "WEBP",
    "gif": "GIF",
    "avif": "AVIF",
    "heic": "HEIF",
    "heif": "HEIF",
}
# A HEIC or HEIF photo is stored as a JPEG at the first of these qualities whose file is
# within the upload limit (HEIC compresses about twice as well as JPEG).
HEIF_JPEG_QUALITIES = (85, 75, 65)
# Decoding a whole picture and encoding it again (a HEIC made a JPEG, a photo turned
# upright) takes about three times its pixels in memory: one at a time per process.
RE_ENCODINGS = threading.BoundedSemaphore(1)
# Markup a browser could run if the file were ever served as a web page, searched in the
# lower-cased bytes. Each pattern is long enough that compressed picture data matches it by
# chance about once in millions of 10 MB files ("<svg" alone is not: it would refuse about one
# large photo in two thousand), and starts with fixed bytes, which keeps the scan fast.
WEB_CODE_TAG = re.compile(rb"<(?:script|iframe|object|embed|html|body|\?php)[\s/>]|<!doctype\s")
WEB_CODE_HANDLER = re.compile(rb"on(?:error|load)\s*=")
DAMAGED_MESSAGE = _("The image is damaged or incomplete; save it again and upload the new file.")
WEB_CODE_MESSAGE = _(
    "The file also contains web page code, which an image must not; upload a plain image."
)
# Decoding at an eighth of the size still reads every byte of a JPEG's compressed data, so a
# cut-off file is found at a fraction of the memory.
JPEG_DRAFT_SCALE = 8
DOCUMENT_SNIFF_BYTES = 64 * 1024
OFFICE_EXTENSIONS = frozenset({"docx", "xlsx", "pptx"})
TEXT_EXTENSIONS = frozenset({"txt", "csv"})


def _extension(name):
    name = (name or "").lower()
    return name.rsplit(".", 1)[-1] if "." in name else ""


def _read(upload):
    upload.seek(0)
    try:
        return upload.read()
    finally:
        upload.seek(0)


def allowed_image_extensions():
    return [extension.lower() for extension in settings.WAGTAILIMAGES_EXTENSIONS]


def image_problems(upload, max_bytes=None, max_pixels=None):
    """Why an uploaded file cannot be stored as an image; empty when it can. Stops at the
    first problem: the later checks assume the earlier ones held. A HEIC or HEIF photo
    that passes has been replaced by a JPEG in `upload` itself (_store_as_jpeg)."""
    extensions = allowed_image_extensions()
    max_bytes = max_bytes or settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE
    max_pixels = max_pixels or settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS
    extension = _extension(getattr(upload, "name", ""))
    if extension not in extensions:
        return [
            _("Only these image formats can be uploaded: %(formats)s.")
            % {"formats": ", ".join(extensions).upper()}
        ]
    if upload.size > max_bytes:
        return [
            _("The file is %(size)s; at most %(max)s can be uploaded.")
            % {"size": filesizeformat(upload.size), "max": filesizeformat(max_bytes)}
        ]
    data = _read(upload)
    if too_many_blocks(data):
        return [DAMAGED_MESSAGE]
    with warnings.catch_warnings():
        # Pillow only warns between its own limit and twice that; treat both alike.
        warnings.simplefilter("error", PILImage.DecompressionBombWarning)
        try:
            picture = PILImage.open(io.BytesIO(data))
        except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning):
            return [
                _("The image has too many pixels; at most %(max)s are allowed.")
                % {"max": f"{max_pixels:,}"}
            ]
        except Exception:  # Pillow raises many types for what is not an image
            return [_("This file is not an image, or it is damaged.")]
    expected = PILLOW_FORMATS.get(extension)
    if picture.format != expected:
        return [
            _(
                "The name ends in .%(extension)s but the file is a %(format)s image; "
                "convert it first."
            )
            % {"extension": extension, "format": picture.format}
        ]
    width, height = decoded_size(picture)
    frames = getattr(picture, "n_frames", 1)
    if width * height * frames > max_pixels:
        return [
            _(
                "The image has too many pixels (%(width)d × %(height)d); at most %(max)s "
                "are allowed."
            )
            % {"width": width, "height": height, "max": f"{max_pixels:,}"}
        ]
    if picture.format == "HEIF":
        # Decoding and converting a phone photo takes about three times its pixels in
        # memory (libheif's buffer, Pillow's copy, the JPEG's): one at a time per process.
        with RE_ENCODINGS:
            return _checked(picture, data) or _store_as_jpeg(upload, picture, max_bytes)
    if picture.format in METADATA_FORMATS:
        # A JPEG's EXIF is in its header; a JPEG to be turned is decoded once, in full.
        turn = orientation(picture) if picture.format == "JPEG" else None
        return _checked(picture, data, in_full=bool(turn)) or _store_without_metadata(
            upload, picture, data, max_bytes
        )
    return _checked(picture, data)


def _checked(picture, data, in_full=False):
    """The picture decoded in full (a JPEG at an eighth of its size unless `in_full`), and
    its bytes free of web page code."""
    width, height = picture.size
    try:
        if picture.format == "JPEG" and not in_full:
            picture.draft("RGB", (width // JPEG_DRAFT_SCALE, height // JPEG_DRAFT_SCALE))
        picture.load()
    except Exception:  # a damaged stream fails in many ways
        return [DAMAGED_MESSAGE]
    if contains_web_code(data):
        return [WEB_CODE_MESSAGE]
    return []


def decoded_size(picture):
    """The width and height a decoder fills. A HEIF states its size after its crop (clap)
    box, which libheif applies after decoding the whole coded picture: 16 × 16 stated,
    11,900 × 11,900 decoded (pillow_heif's image keeps the crop's source size)."""
    width, height = picture.size
    if picture.format != "HEIF":
        return width, height
    heif = getattr(picture, "_heif_file", None)
    try:
        transformations = heif._images[heif.primary_index]._c_image.transformations
    except (AttributeError, IndexError, TypeError):
        return width, height
    for transformation in transformations or ():
        if transformation and transformation[0] == "clap":
            width = max(width, int(transformation[-2]))
            height = max(height, int(transformation[-1]))
    return width, height


def _store_as_jpeg(upload, picture, max_bytes):
    """Replaces the checked HEIF upload, in place, by a JPEG of its loaded `picture` named
    <name>.jpg: every caller of image_problems() then stores the upload it checked. The
    picture is turned upright (libheif applies the file's rotation; an EXIF orientation
    is applied too) and keeps its colour profile; the other metadata, such as where the
    photo was taken, is not copied to the public file."""
    profile = picture.info.get("icc_profile")
    options = {"icc_profile": profile} if profile else {}
    ImageOps.exif_transpose(picture, in_place=True)
    if picture.mode not in ("RGB", "L"):  # transparency is shown on white
        rgba = picture if picture.mode == "RGBA" else picture.convert("RGBA")
        picture = PILImage.new("RGB", picture.size, (255, 255, 255))
        picture.paste(rgba, mask=rgba.getchannel("A"))
    for quality in HEIF_JPEG_QUALITIES:
        buffer = io.BytesIO()
        picture.save(buffer, "JPEG", quality=quality, **options)
        if buffer.tell() <= max_bytes:
            break
    else:
        return [
            _(
                "Converted to JPEG so that browsers can show it, this photo would be larger "
                "than %(max)s; save it as a JPEG of at most %(max)s and upload that."
            )
            % {"max": filesizeformat(max_bytes)}
        ]
    jpeg = buffer.getvalue()
    if contains_web_code(jpeg):  # the colour profile is the HEIC's own bytes
        return [WEB_CODE_MESSAGE]
    _replace_upload(upload, jpeg)
    upload.name = os.path.splitext(upload.name)[0] + ".jpg"
    upload.content_type = "image/jpeg"
    return []


def _replace_upload(upload, data):
    """Writes `data` over the upload's bytes, in place: every caller of image_problems()
    stores the upload object it checked."""
    file = upload.file
    file.seek(0)
    file.truncate()
    file.write(data)
    file.flush()
    file.seek(0)
    upload.size = len(data)


def _store_without_metadata(upload, picture, data, max_bytes):
    """Replaces the checked upload's bytes, in place, by the same picture without its
    metadata (without_metadata)."""
    try:
        # Mostly a cut of a few milliseconds; a turned or unparsable picture is decoded in
        # full and encoded again.
        with RE_ENCODINGS:
            stripped = without_metadata(picture, data)
    except Exception:  # Pillow refuses to encode what it decoded (a JPEG's table ids 2, 3)
        return [DAMAGED_MESSAGE]
    if stripped is None:
        return []
    if len(stripped) > max_bytes:  # a lossy WebP turned upright is encoded again
        return [
            _("Turned upright, the image is %(size)s; at most %(max)s can be stored.")
            % {"size": filesizeformat(len(stripped)), "max": filesizeformat(max_bytes)}
        ]
    if contains_web_code(stripped):  # joined anew: what was on either side of a cut
        return [WEB_CODE_MESSAGE]
    _replace_upload(upload, stripped)
    return []


# Metadata ------------------------------------------------------------------------------

METADATA_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
EXIF_ORIENTATION = 0x0112
# JPEG application segments a decoder needs, by marker and how their data starts: JFIF's
# pixel density, the ICC colour profile (which may take several segments) and Adobe's colour
# transform (without it a CMYK or RGB JPEG decodes in the wrong colours). Every other
# APPn segment (EXIF and its thumbnail, XMP, Photoshop's IPTC, MPF's further pictures, maker
# notes) and every comment is dropped.
JPEG_KEPT_APPS = {0xE0: (b"JFIF\0", b"JFXX\0"), 0xE2: (b"ICC_PROFILE\0",), 0xEE: (b"Adobe",)}
JPEG_SOS, JPEG_EOI, JPEG_COM = 0xDA, 0xD9, 0xFE
# The next marker after a scan's data: 0xFF followed by neither a stuffed zero, a restart
# marker (RST0-7), nor another 0xFF (fill bytes before a marker).
JPEG_SCAN_END = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
JPEG_FILL = re.compile(rb"\xff+")
# More segments or chunks than a picture has (a progressive JPEG has a few dozen, a big PNG
# about a thousand IDAT chunks): 10 MB of empty comments took a second to walk. Such a file
# is decoded and saved again instead (_saved_again).
MAX_BLOCKS = 10_000
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Chunks that draw the picture (APNG's too); text (tEXt, zTXt, iTXt: XMP, "Raw profile type
# exif"), eXIf, tIME and private chunks are dropped.
PNG_KEPT_CHUNKS = frozenset(
    {
        b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"cHRM", b"gAMA", b"iCCP", b"sBIT",
        b"sRGB", b"cICP", b"mDCV", b"cLLI", b"bKGD", b"hIST", b"pHYs", b"sPLT", b"acTL",
        b"fcTL", b"fdAT",
    }
)  # fmt: skip
WEBP_KEPT_CHUNKS = frozenset({b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF", b"ICCP"})
WEBP_EXIF_XMP_FLAGS = 0x08 | 0x04  # VP8X's "has EXIF" and "has XMP"


class NotParsed(ValueError):
    """The file's structure is not what its format says; it is saved again instead."""


class TooManyBlocks(NotParsed):
    pass


def too_many_blocks(data):
    """Whether a JPEG, PNG or WebP holds more segments or chunks than MAX_BLOCKS. Pillow
    reads each in Python before decoding anything: a 10 MB PNG of empty chunks took it 5 s,
    a JPEG of empty comments before its picture 6 s (attacker audit). The walk stops at the
    bound, in milliseconds."""
    if data.startswith(b"\xff\xd8"):
        walk = _jpeg_without_metadata
    elif data.startswith(PNG_SIGNATURE):
        walk = _png_without_metadata
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        walk = _webp_without_metadata
    else:
        return False
    try:
        walk(data)
    except TooManyBlocks:
        return True
    except NotParsed:
        return False
    return False


def orientation(picture):
    """The EXIF (or XMP) orientation that turns the picture, None when it stands as stored.
    Read from the header for a JPEG or WebP; a PNG states it after its pixels, so ask once
    the picture is loaded."""
    try:
        value = picture.getexif().get(EXIF_ORIENTATION, 1)
    except Exception:  # damaged EXIF turns nothing
        return None
    return value if value in range(2, 9) else None


def without_metadata(picture, data):
    """The file's bytes without EXIF, XMP and the like, or None when there is nothing to
    remove. `picture` is the opened (for PNG and WebP: loaded) picture of `data`.

    A picture its orientation turns is turned upright and saved again: for that a JPEG must
    have been decoded in full (not in draft mode). Otherwise the metadata blocks are cut out
    and the picture's own bytes stay as they were."""
    turn = orientation(picture)
    if turn and getattr(picture, "n_frames", 1) == 1:
        stripped = _saved_upright(picture, data)
    else:
        try:
            stripped = _cut_metadata(picture.format, data)
        except NotParsed:
            stripped = _saved_again(data)
    return None if stripped == data else stripped


def _cut_metadata(format, data):
    if format == "JPEG":
        return _jpeg_without_metadata(data)
    if format == "PNG":
        return _png_without_metadata(data)
    return _webp_without_metadata(data)


def _jpeg_without_metadata(data):
    """The JPEG's segments a decoder needs, up to its end (EOI): a phone's motion-photo video,
    a gain map or an MPF picture appended after it go too."""
    if not data.startswith(b"\xff\xd8"):
        raise NotParsed
    kept = [b"\xff\xd8"]
    position, end = 2, len(data)
    for _block in range(MAX_BLOCKS):
        if position >= end:
            break
        if data[position] != 0xFF:
            raise NotParsed
        position = JPEG_FILL.match(data, position).end()  # fill bytes
        if position >= end:
            raise NotParsed
        marker = data[position]
        position += 1
        if marker == JPEG_EOI:
            kept.append(b"\xff\xd9")
            return b"".join(kept)
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # a marker without length
            kept.append(bytes((0xFF, marker)))
            continue
        length = int.from_bytes(data[position : position + 2], "big")
        if length < 2 or position + length > end:
            raise NotParsed
        segment_end = position + length
        if not _jpeg_segment_kept(marker, data, position + 2):
            position = segment_end
            continue
        kept.append(bytes((0xFF, marker)))
        kept.append(data[position:segment_end])
        position = segment_end
        if marker == JPEG_SOS:
            found = JPEG_SCAN_END.search(data, position)
            if found is None:
                raise NotParsed
            kept.append(data[position : found.start()])
            position = found.start()
    else:
        raise TooManyBlocks
    raise NotParsed


def _jpeg_segment_kept(marker, data, start):
    if marker == JPEG_COM:
        return False
    if 0xE0 <= marker <= 0xEF:
        return any(data.startswith(prefix, start) for prefix in JPEG_KEPT_APPS.get(marker, ()))
    return True


def _png_without_metadata(data):
    if not data.startswith(PNG_SIGNATURE):
        raise NotParsed
    kept = [PNG_SIGNATURE]
    position, end = len(PNG_SIGNATURE), len(data)
    for _block in range(MAX_BLOCKS):
        if position + 12 > end:
            break
        length = int.from_bytes(data[position : position + 4], "big")
        kind = data[position + 4 : position + 8]
        chunk_end = position + 12 + length
        if chunk_end > end:
            raise NotParsed
        if kind in PNG_KEPT_CHUNKS:
            kept.append(data[position:chunk_end])
        position = chunk_end
        if kind == b"IEND":
            return b"".join(kept)
    else:
        raise TooManyBlocks
    raise NotParsed


def _webp_without_metadata(data):
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise NotParsed
    kept = []
    position, end = 12, min(len(data), 8 + int.from_bytes(data[4:8], "little"))
    for _block in range(MAX_BLOCKS):
        if position + 8 > end:
            break
        kind = data[position : position + 4]
        length = int.from_bytes(data[position + 4 : position + 8], "little")
        chunk_end = position + 8 + length + (length & 1)
        if position + 8 + length > end:
            raise NotParsed
        chunk = data[position:chunk_end]
        if kind == b"VP8X" and length >= 10:
            chunk = chunk[:8] + bytes((chunk[8] & ~WEBP_EXIF_XMP_FLAGS,)) + chunk[9:]
        if kind in WEBP_KEPT_CHUNKS:
            kept.append(chunk)
        position = chunk_end
    else:
        raise TooManyBlocks
    if position < end or not kept:
        raise NotParsed
    body = b"".join(kept)
    return b"RIFF" + (len(body) + 4).to_bytes(4, "little") + b"WEBP" + body


def _save_options(picture):
    options = {"exif": b"", "xmp": b"", "comment": b""}  # not copied from picture.info
    profile = picture.info.get("icc_profile")
    if profile:
        options["icc_profile"] = profile
    return options


def _saved_upright(picture, data):
    """The loaded picture turned as its orientation says and saved again without metadata:
    a JPEG with its own quantization tables and subsampling (Pillow's quality="keep", which
    a turned copy cannot use), a PNG losslessly, a WebP losslessly if it was."""
    format = picture.format
    options = _save_options(picture)
    if format == "JPEG":
        options.update(_jpeg_tables(picture))
        if picture.info.get("progressive"):
            options["progressive"] = True
    elif format == "PNG":
        if "transparency" in picture.info:
            options["transparency"] = picture.info["transparency"]
    else:
        options.update(_webp_options(data))
    upright = ImageOps.exif_transpose(picture)
    buffer = io.BytesIO()
    upright.save(buffer, format, **options)
    return buffer.getvalue()


def _jpeg_tables(picture):
    """The JPEG's own quantization tables (in their ids' order: Pillow takes ids 0 to n-1
    only, and a file with tables 2 and 3 made quality="keep" fail) and subsampling."""
    tables = picture.quantization
    return {
        "qtables": [tables[key] for key in sorted(tables)],
        "subsampling": JpegImagePlugin.get_sampling(picture),
    }


def _webp_options(data):
    """Lossless for a lossless WebP (its first picture chunk is VP8L), else quality 90."""
    position = 12
    for _block in range(MAX_BLOCKS):
        if position + 8 > len(data):
            break
        kind = data[position : position + 4]
        if kind in (b"VP8L", b"VP8 "):
            return {"lossless": True} if kind == b"VP8L" else {"quality": 90}
        length = int.from_bytes(data[position + 4 : position + 8], "little")
        position += 8 + length + (length & 1)
    return {"quality": 90}


def _saved_again(data):
    """A file whose blocks could not be followed (Pillow decodes more than the format
    allows): decoded in full and saved without metadata, a JPEG with its own tables."""
    with PILImage.open(io.BytesIO(data)) as picture:
        picture.load()
        if orientation(picture):
            return _saved_upright(picture, data)
        options = _save_options(picture)
        if picture.format == "JPEG":
            options.update(_jpeg_tables(picture))
        elif picture.format == "WEBP":
            options.update(_webp_options(data))
        buffer = io.BytesIO()
        picture.save(buffer, picture.format, **options)
        return buffer.getvalue()


def contains_web_code(data):
    lowered = data.lower()
    return bool(
        WEB_CODE_TAG.search(lowered)
        or WEB_CODE_HANDLER.search(lowered)
        or b"javascript:" in lowered
    )


def document_problems(upload):
    """Why an uploaded file's content does not match its document type; empty when it does.
    The extension and size are Wagtail's checks (WAGTAILDOCS_EXTENSIONS,
    WAGTAILDOCS_MAX_UPLOAD_SIZE)."""
    extension = _extension(getattr(upload, "name", ""))
    upload.seek(0)
    head = upload.read(DOCUMENT_SNIFF_BYTES)
    upload.seek(0)
    if extension == "pdf":
        valid = b"%PDF-" in head[:1024]
    elif extension in OFFICE_EXTENSIONS:
        try:
            with zipfile.ZipFile(upload) as archive:
                valid = "[Content_Types].xml" in archive.namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            valid = False
        finally:
            upload.seek(0)
    elif extension in TEXT_EXTENSIONS:
        valid = b"\x00" not in head and _is_text(head)
    else:
        valid = True
    if valid:
        return []
    return [_("The file's content is not a %(type)s document.") % {"type": extension.upper()}]


def _is_text(head):
    # Chinese spreadsheets export CSV as UTF-8 or GB18030; a cut may split the last character.
    for encoding in ("utf-8", "gb18030"):
        for cut in range(4):
            try:
                head[: len(head) - cut].decode(encoding)
            except UnicodeDecodeError:
                continue
            return True
    return False


class CheckedImageField(WagtailImageField):
    """Wagtail's image field, with image_problems() run before Wagtail decodes anything."""

    def to_python(self, data):
        upload = forms.FileField.to_python(self, data)
        if upload is None:
            return None
        problems = image_problems(
            upload, max_bytes=self.max_upload_size, max_pixels=self.max_image_pixels
        )
        if problems:
            raise ValidationError(problems, code="invalid_image")
        return super().to_python(data)

    def check_image_pixel_size(self, f):
        """Done: image_problems() counted the pixels and frames from the header before
        anything was decoded. Wagtail's count decodes the whole picture, twice."""


class ImageForm(BaseImageForm):
    """WAGTAILIMAGES_IMAGE_FORM_BASE: every admin image form (add, multiple add, edit, the
    chooser's upload) checks its file with CheckedImageField."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("file")
        if field is not None and not isinstance(field, CheckedImageField):
            self.fields["file"] = CheckedImageField(
                label=field.label,
                required=field.required,
                widget=field.widget,
                max_length=field.max_length,
            )


class DocumentForm(BaseDocumentForm):
    """WAGTAILDOCS_DOCUMENT_FORM_BASE: a document's content must match its extension."""

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload is not None and "file" in self.changed_data:
            problems = document_problems(upload)
            if problems:
                raise ValidationError(problems, code="invalid_document")
        return upload

    def _post_clean(self):
        upload = self.files.get(self.add_prefix("file"))
        if "file" in self._errors and upload is not None:
            # Wagtail's Document.clean() checks the extension of the instance's file, which a
            # refused upload never reached: it would add "extension “” is not allowed" to the
            # real reason. The instance is not saved: the form is invalid.
            self.instance.file = upload
        super()._post_clean()


# Stored names ----------------------------------------------------------------------------


def unguessable_image_name(sender, instance, **kwargs):
    """Every image is stored under such a name (R27). Wagtail kept an upload's own: the
    first 海报.jpg became original_images/HaiBao.jpg, so a draft's poster, with its name,
    time and host, could be fetched by guessing a common name."""
    file = instance.file
    # An uncommitted file is one being uploaded now (a new image or a replaced file):
    # FileField.pre_save stores it under this name right after this signal.
    if file and not file._committed:
        file.name = storage_name(file.name)


def connect_signals():
    from django.db.models.signals import pre_save
    from wagtail.images import get_image_model

    pre_save.connect(
        unguessable_image_name, sender=get_image_model(), dispatch_uid="unguessable_image_name"
    )
    read_sizes_from_headers()


# Sizes ---------------------------------------------------------------------------------


def header_size(image_file):
    """A picture's width and height as its header states them: what Pillow reports after
    decoding it, read without decoding."""
    image_file.f.seek(0)
    try:
        with PILImage.open(image_file.f) as picture:
            return picture.size
    finally:
        image_file.f.seek(0)


def read_sizes_from_headers():
    """Willow answers get_size() by decoding the whole picture, and Wagtail asks it for the
    width and height it stores, twice for each new image (when the file is assigned and when
    it is saved): a 12-megapixel photo spent about a second decoding in an upload. Every
    upload is checked, and decoded once, by image_problems() before Wagtail sees it."""
    from willow.image import HeicImageFile, JPEGImageFile, PNGImageFile, WebPImageFile
    from willow.registry import registry

    for image_class in (JPEGImageFile, PNGImageFile, WebPImageFile, HeicImageFile):
        registry.register_operation(image_class, "get_size", header_size)
