"""Hero images: one source file in content/, several widths in WebP and JPEG for srcset."""

import hashlib
import re
from pathlib import Path

from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError

WIDTHS = (480, 800, 1200)
FORMATS = {
    "webp": {"quality": 80, "method": 6},
    "jpeg": {"quality": 82, "optimize": True, "progressive": True},
}
# Generated files live under this static prefix; settings.STATICFILES_DIRS points it at
# settings.GENERATED_IMAGES_DIR, so collectstatic hashes them like any other static file.
STATIC_PREFIX = "content"


class ImageError(Exception):
    pass


def process_hero(source, slug, alt):
    """Write the resized copies (unless they exist already) and describe them for templates."""
    source = Path(source)
    data = source.read_bytes()
    digest = hashlib.sha256(data).hexdigest()[:10]
    try:
        with Image.open(source) as opened:
            image = ImageOps.exif_transpose(opened).convert("RGB")
    except Image.DecompressionBombError:
        # Decoding it would take gigabytes of memory: the size alone says it is not a photo.
        raise ImageError(
            f"{source.name} has too many pixels to process safely; resize it (2,400 pixels "
            "wide is plenty)"
        ) from None
    except (UnidentifiedImageError, OSError) as exc:
        raise ImageError(f"{source.name} is not an image Pillow can read ({exc})") from None
    widths = sorted({w for w in WIDTHS if w < image.width} | {min(image.width, WIDTHS[-1])})
    out_dir = Path(settings.GENERATED_IMAGES_DIR) / "hero"
    out_dir.mkdir(parents=True, exist_ok=True)
    sources = {fmt: [] for fmt in FORMATS}
    height = image.height
    for width in widths:
        height = round(image.height * width / image.width)
        resized = None
        for fmt, options in FORMATS.items():
            name = f"{slug}-{digest}-{width}.{'jpg' if fmt == 'jpeg' else fmt}"
            target = out_dir / name
            if not target.exists():
                resized = resized or image.resize((width, height), Image.Resampling.LANCZOS)
                resized.save(target, fmt.upper(), **options)
            sources[fmt].append({"path": f"{STATIC_PREFIX}/hero/{name}", "width": width})
    _remove_stale(out_dir, slug, digest)
    return {"alt": alt, "width": widths[-1], "height": height, "sources": sources}


def _remove_stale(out_dir, slug, digest):
    """Copies of an earlier version of this slug's image (another slug's files never match)."""
    pattern = re.compile(rf"^{re.escape(slug)}-([0-9a-f]{{10}})-\d+\.(?:webp|jpg)$")
    for old in out_dir.iterdir():
        match = pattern.match(old.name)
        if match and match.group(1) != digest:
            old.unlink()
