"""Poster renditions without a cache write per use.

Wagtail's `Image.get_rendition` stores the rendition in the cache every time it is called,
even when it came from the prefetched renditions: twenty cards meant twenty cache writes
(a pickled object each) on every listing request. Here an existing rendition is read from
what the query prefetched (or Wagtail's cache and then the database); only a missing one
goes through `get_rendition`, which generates it once and stores it. Nginx serves the
generated files from MEDIA_ROOT afterwards (deploy/nginx)."""

from functools import lru_cache

from wagtail.images.models import Filter

CARD = "fill-300x400|format-webp|webpquality-75"
SHARE = "fill-1200x630|format-jpeg"


@lru_cache(maxsize=64)
def _filter(spec):
    return Filter(spec=spec)


def rendition(image, spec):
    """The rendition of `image` for `spec`, or None when the original cannot be read."""
    if image is None:
        return None
    filter_ = _filter(spec)
    try:
        return image.find_existing_rendition(filter_)
    except image.get_rendition_model().DoesNotExist:
        pass
    try:
        return image.get_rendition(filter_)
    except OSError:  # includes Wagtail's SourceImageIOError: a missing or unreadable file
        return None
