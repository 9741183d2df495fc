"""Real image bytes for tests of uploads (logos, attachments): Pillow-made, so
ImageField validation, our magic-byte checks and a browser all accept them."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw


def png_bytes(size: tuple[int, int] = (64, 64), colour: str = "#1d4ed8", mark: str = "#f59e0b") -> bytes:
    """A square of `colour` with a `mark` disc in the middle: easy to spot in a screenshot."""
    image = Image.new("RGB", size, colour)
    w, h = size
    ImageDraw.Draw(image).ellipse((w // 4, h // 4, 3 * w // 4, 3 * h // 4), fill=mark)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


SVG_WITH_SCRIPT = (b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
                   b'<script>alert(document.domain)</script></svg>')
