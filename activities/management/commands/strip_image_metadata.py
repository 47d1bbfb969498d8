"""Strips EXIF and XMP (GPS position, camera, owner) from the images stored before uploads
were stripped (activities/uploads.py), in place, and deletes their renditions: Wagtail makes
them again from the stripped original when a page asks. Profile pictures too
(/media/avatar_images/). Run once after upgrading; running it again changes nothing.

    manage.py strip_image_metadata --dry-run   # what would change
    manage.py strip_image_metadata
"""

import io
import os
import tempfile

from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.users.models import UserProfile
from wagtail.utils.file import hash_filelike

from activities.uploads import METADATA_FORMATS, without_metadata


def stripped_bytes(data):
    """`data` without its metadata, or None when it has none (or is not a JPEG, PNG or WebP
    Pillow can open)."""
    try:
        picture = PILImage.open(io.BytesIO(data))
        if picture.format not in METADATA_FORMATS:
            return None
        # Decoded only where needed: a PNG that may state its EXIF after its pixels, a
        # picture to be turned. A JPEG or WebP cut in place is not decoded.
        return without_metadata(picture, data)
    except Exception:  # Pillow raises many types for a damaged file
        raise ValueError(data[:16]) from None


def write_in_place(file, data):
    """Replaces the stored file's content under the same name; atomically on disk."""
    storage = file.storage
    try:
        path = storage.path(file.name)
    except NotImplementedError:  # remote storage: no path, overwritten whole
        storage.delete(file.name)
        storage.save(file.name, ContentFile(data))
        return
    folder = os.path.dirname(path)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".strip-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, os.stat(path).st_mode & 0o777)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


class Command(BaseCommand):
    help = (
        "Removes EXIF/XMP metadata (GPS, camera) from stored original images and profile "
        "pictures, and deletes the renditions of the images changed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Only report what would be changed."
        )

    def handle(self, *args, dry_run=False, **options):
        changed = unreadable = 0
        Image = get_image_model()
        for image in Image.objects.order_by("pk").iterator(chunk_size=200):
            result = self._strip(image.file, f"image {image.pk}", dry_run)
            if result is None:
                unreadable += 1
            elif result:
                changed += 1
                if not dry_run:
                    self._refresh(image, result)
        for profile in UserProfile.objects.exclude(avatar="").order_by("pk").iterator():
            result = self._strip(profile.avatar, f"avatar of user {profile.user_id}", dry_run)
            if result is None:
                unreadable += 1
            elif result:
                changed += 1
        verb = "would be stripped" if dry_run else "stripped"
        self.stdout.write(f"{changed} file(s) {verb}; {unreadable} could not be read.")

    def _strip(self, file, label, dry_run):
        """The stripped bytes written (or that would be), b"" when there was nothing to
        strip, None when the file could not be read."""
        try:
            with file.storage.open(file.name, "rb") as stored:
                data = stored.read()
            stripped = stripped_bytes(data)
        except (OSError, ValueError):
            self.stderr.write(f"{label}: {file.name} could not be read; left as it is.")
            return None
        if stripped is None:
            return b""
        self.stdout.write(f"{label}: {file.name}")
        if not dry_run:
            write_in_place(file, stripped)
        return stripped

    def _refresh(self, image, data):
        fields = ["width", "height", "file_size", "file_hash"]
        with PILImage.open(io.BytesIO(data)) as picture:
            if picture.size != (image.width, image.height):
                # Turned upright: a focal point chosen on the picture as stored is elsewhere.
                image.set_focal_point(None)
                fields += ["focal_point_x", "focal_point_y"]
                fields += ["focal_point_width", "focal_point_height"]
            image.width, image.height = picture.size
        image.file_size = len(data)
        image.file_hash = hash_filelike(io.BytesIO(data))
        # A changed image bumps the page cache (activities/cache.py): pages showing it are
        # rendered again, with renditions made from the stripped original.
        image.save(update_fields=fields)
        for rendition in image.renditions.all():
            rendition.delete()  # Wagtail's signal deletes its file and its cache entry
