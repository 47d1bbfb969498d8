"""Poster renditions without a cache write per use.

Wagtail's `Image.get_rendition` stores the rendition in the cache every time it is called,
even when it came from the prefetched renditions: twenty cards meant twenty cache writes
(a pickled object each) on every listing request. Here an existing rendition is read from
what the query prefetched (or Wagtail's cache and then the database); only a missing one
goes through `get_rendition`, which generates it once and stores it. Without prefetched
renditions (a detail page's poster) the cache is read through, and written only when the
rendition came from the database. Nginx serves the generated files from MEDIA_ROOT
(deploy/nginx)."""

from functools import lru_cache

from wagtail.images.models import Filter

CARD = "fill-300x400|format-webp|webpquality-75"
SHARE = "fill-1200x630|format-jpeg"


@lru_cache(maxsize=64)
def _filter(spec):
    return Filter(spec=spec)


def _prefetched(image):
    # Image.objects.prefetch_renditions() stores its rows in `prefetched_renditions`
    # (a to_attr), prefetch_related("renditions") in the prefetch cache: either means the
    # query already read every existing rendition of the image.
    return hasattr(image, "prefetched_renditions") or "renditions" in getattr(
        image, "_prefetched_objects_cache", {}
    )


def rendition(image, spec):
    """The rendition of `image` for `spec`, or None when the original cannot be read.
    Remembered on the image object, which lives as long as its request: the detail page
    asks for its share image twice (og:image and the JSON-LD)."""
    if image is None:
        return None
    found = getattr(image, "_found_renditions", {})
    if spec not in found:
        found[spec] = _rendition(image, spec)
        image._found_renditions = found
    return found[spec]


def _rendition(image, spec):
    filter_ = _filter(spec)
    Rendition = image.get_rendition_model()
    try:
        if _prefetched(image):
            return image.find_existing_rendition(filter_)  # no I/O at all
        found = _stored(image, filter_)
        if found is None:
            raise Rendition.DoesNotExist
        found.image = image
        return found
    except Rendition.DoesNotExist:
        pass
    try:
        return image.get_rendition(filter_)  # generates it, once
    except OSError:  # includes Wagtail's SourceImageIOError: a missing or unreadable file
        return None


def _stored(image, filter_):
    """The stored rendition, read through the cache (written once when found in the
    database, not per use) and kept in this process under the site version: a detail
    page asks for three. A changed image bumps the site version (activities/cache.py);
    its file name is part of the key all the same."""
    from .cache import site_versioned

    Rendition = image.get_rendition_model()
    focal_point_key = filter_.get_cache_key(image)
    key = Rendition.construct_cache_key(image, focal_point_key, filter_.spec)

    def read():
        found = Rendition.cache_backend.get(key)
        if found is None:
            found = image.renditions.filter(
                filter_spec=filter_.spec, focal_point_key=focal_point_key
            ).first()
            if found is not None:
                Rendition.cache_backend.set(key, found)
        if found is not None:
            found._state.fields_cache.pop("image", None)  # the caller sets its own
        return found

    return site_versioned("rendition", f"{key}:{image.file.name}", read, 0, shared=False)
