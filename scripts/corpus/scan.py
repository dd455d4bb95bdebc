"""Scanned-looking pages: a born-digital page rasterised, tilted, blurred, noised, unevenly lit and JPEG-compressed.

The result is wrapped back into a PDF with no text layer, or written as PNG / JPEG / multi-page TIFF.
Every random choice comes from the numpy Generator passed in, so a seed gives the same bytes.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import asdict, dataclass
from functools import lru_cache

import cv2
import numpy as np
import pymupdf
from PIL import Image, ImageDraw, ImageFont

A4 = (595.0, 842.0)


@dataclass
class ScanParams:
    """What was done to one page (recorded in the manifest)."""

    dpi: int
    angle: float
    blur: float
    noise: float
    light: float
    jpeg_quality: int
    color: bool
    seal: bool = False  # a red 公章 stamped in the free space under the table (never over a value)
    specks: int = -1  # dust specks; -1: the office default (0–24)

    def to_dict(self) -> dict[str, float | int | bool]:
        """JSON-friendly (an office page's manifest entry stays as it was before `specks` existed)."""
        out = asdict(self)
        if self.specks < 0:
            del out["specks"]
        return out


def draw_params(rng: np.random.Generator, dpi_range: tuple[int, int] = (150, 300), harsh: bool = False) -> ScanParams:
    """Random degradation within the brief's bounds (±2.5°, 150–300 dpi), or a fax-grade archive page.

    Harsh (the scan-trust issue's bounds): 120–200 dpi, 1.5–4° either way, JPEG 20–45, 100–400 specks.
    """
    if harsh:
        return ScanParams(
            dpi=int(rng.choice(np.arange(120, 201, 10))),
            angle=round(float(rng.uniform(1.5, 4.0) * rng.choice((-1, 1))), 2),
            blur=round(float(rng.uniform(0.3, 1.2)), 2),
            noise=round(float(rng.uniform(6.0, 16.0)), 1),
            light=round(float(rng.uniform(0.1, 0.4)), 2),
            jpeg_quality=int(rng.integers(20, 46)),
            color=bool(rng.random() < 0.3),
            seal=bool(rng.random() < 0.4),
            specks=int(rng.integers(100, 401)),
        )
    return ScanParams(
        dpi=int(rng.choice(np.arange(dpi_range[0], dpi_range[1] + 1, 25))),
        angle=round(float(rng.uniform(-2.5, 2.5)), 2),
        blur=round(float(rng.uniform(0.0, 1.2)), 2),
        noise=round(float(rng.uniform(2.0, 12.0)), 1),
        light=round(float(rng.uniform(0.0, 0.35)), 2),
        jpeg_quality=int(rng.integers(35, 86)),
        color=bool(rng.random() < 0.3),
        seal=bool(rng.random() < 0.4),
    )


def rasterise(page: pymupdf.Page, dpi: int) -> np.ndarray:
    """A page as an 8-bit BGR array (OpenCV's channel order)."""
    pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csRGB, alpha=False)
    array = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width, 3)
    return cv2.cvtColor(array, cv2.COLOR_RGB2BGR)


@lru_cache(maxsize=8)
def _seal_font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(io.BytesIO(pymupdf.Font("china-s").buffer), size)


def seal_centre(page: pymupdf.Page, radius_pt: float) -> tuple[float, float] | None:
    """Where a seal fits under the page's ruled table without touching it (points), or None."""
    bottoms = [d["rect"].y1 for d in page.get_drawings()]
    if not bottoms:
        return None
    y = max(bottoms) + radius_pt + 4
    if y + radius_pt > page.rect.height - 4:
        return None
    return page.rect.width * 0.68, y


def stamp(image: np.ndarray, centre: tuple[float, float], radius: float, text: str, rng: np.random.Generator
          ) -> np.ndarray:
    """A red round seal: ring, star, the unit's name around the arc, with uneven ink (BGR image, pixels)."""
    h, w = image.shape[:2]
    x0, y0 = max(0, int(centre[0] - radius) - 4), max(0, int(centre[1] - radius) - 4)
    x1, y1 = min(w, int(centre[0] + radius) + 5), min(h, int(centre[1] + radius) + 5)
    cx, cy = centre[0] - x0, centre[1] - y0  # drawn on the seal's own patch only: a page-sized float copy is 100 MB
    ink = Image.new("L", (x1 - x0, y1 - y0), 0)
    draw = ImageDraw.Draw(ink)
    ring = max(2, int(radius * 0.07))
    draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), outline=255, width=ring)
    star = [(cx + radius * 0.28 * (1 if k % 2 == 0 else 0.4) * math.sin(k * math.pi / 5),
             cy - radius * 0.28 * (1 if k % 2 == 0 else 0.4) * math.cos(k * math.pi / 5)) for k in range(10)]
    draw.polygon(star, fill=255)
    size = max(8, int(radius * 0.22))
    font = _seal_font(size)
    chars = text if len(text) <= 16 else re.sub(r"^.*?(省|自治区)", "", text)[:16]  # seals drop the province
    span = min(250.0, 18.0 * len(chars))
    for k, ch in enumerate(chars):
        angle = -span / 2 + span * (k + 0.5) / len(chars)
        glyph = Image.new("L", (size * 2, size * 2), 0)
        ImageDraw.Draw(glyph).text((size // 2, size // 4), ch, font=font, fill=255)
        glyph = glyph.rotate(-angle, resample=Image.BILINEAR)
        r = radius * 0.72
        gx = cx + r * math.sin(math.radians(angle)) - size
        gy = cy - r * math.cos(math.radians(angle)) - size
        ink.paste(255, (int(gx), int(gy)), glyph)
    alpha = np.asarray(ink, dtype=np.float32) / 255.0
    alpha *= rng.uniform(0.55, 0.9) * (0.75 + 0.25 * rng.random(alpha.shape, dtype=np.float32))
    red = np.array([40, 40, 205], dtype=np.float32)  # BGR
    patch = image[y0:y1, x0:x1].astype(np.float32)
    patch = patch * (1 - alpha[:, :, None]) + np.minimum(patch, red) * alpha[:, :, None]
    out = image.copy()
    out[y0:y1, x0:x1] = patch.astype(np.uint8)
    return out


def degrade(image: np.ndarray, params: ScanParams, rng: np.random.Generator) -> np.ndarray:
    """Tilt, blur, light falloff, paper tint, noise: what a flatbed scanner and an office copier leave."""
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), params.angle, 1.0)
    border = (255, 255, 255) if image.ndim == 3 else 255
    out = cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                         borderValue=border).astype(np.float32)
    if params.blur > 0.05:
        out = cv2.GaussianBlur(out, (0, 0), params.blur)
    # Uneven light: a linear falloff from one corner plus a soft vignette (built from 1-D ramps: no full grids).
    x = (np.arange(w, dtype=np.float32) / w - 0.5)
    y = (np.arange(h, dtype=np.float32) / h - 0.5)
    gx, gy = rng.uniform(-1, 1, size=2)
    shade = 1.0 - params.light * (0.5 + 0.5 * np.add.outer(gy * y, gx * x))
    shade *= 1.0 - params.light * 0.7 * np.add.outer(y * y, x * x)
    if out.ndim == 3:
        tint = np.array([rng.uniform(0.93, 1.0), rng.uniform(0.95, 1.0), 1.0], dtype=np.float32)  # BGR-ish paper
        out *= shade[:, :, None]
        out *= tint
    else:
        out *= shade
    del shade
    out += rng.standard_normal(size=out.shape, dtype=np.float32) * np.float32(params.noise)
    # A few dust specks.
    for _ in range(params.specks if params.specks >= 0 else int(rng.integers(0, 25))):
        y, x = int(rng.integers(0, h)), int(rng.integers(0, w))
        cv2.circle(out, (x, y), int(rng.integers(1, 3)), (60, 60, 60) if out.ndim == 3 else 60, -1)
    return np.clip(out, 0, 255).astype(np.uint8)


def jpeg(image: np.ndarray, quality: int) -> bytes:
    """JPEG bytes (the artefacts are part of the look)."""
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return buf.tobytes()


def scan_pages(pdf: bytes, rng: np.random.Generator, dpi_range: tuple[int, int] = (150, 300),
               seal_texts: list[str] | None = None, harsh: bool = False) -> list[tuple[bytes, ScanParams]]:
    """Every page of a born-digital PDF as a degraded JPEG with the parameters used.

    `seal_texts[i]` is the name on page i's seal (a page gets one when the dice say so and there is room).
    """
    doc = pymupdf.open(stream=pdf, filetype="pdf")
    pages = []
    for number, page in enumerate(doc):
        params = draw_params(rng, dpi_range, harsh)
        image = rasterise(page, params.dpi)
        text = seal_texts[number] if seal_texts and number < len(seal_texts) else None
        radius_pt = float(rng.uniform(36.0, 46.0))  # a 2.5–3.2 cm seal
        centre = seal_centre(page, radius_pt) if params.seal and text else None
        params.seal = centre is not None
        if centre is not None:
            scale = params.dpi / 72
            image = stamp(image, (centre[0] * scale, centre[1] * scale), radius_pt * scale, text or "", rng)
        if not params.color:
            image = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        image = degrade(image, params, rng)
        pages.append((jpeg(image, params.jpeg_quality), params))
    doc.close()
    return pages


def to_pdf(pages: list[tuple[bytes, ScanParams]]) -> bytes:
    """Image-only PDF (no text layer): one A4 page per scanned image."""
    doc = pymupdf.open()
    for _ in pages:
        doc.new_page(width=A4[0], height=A4[1])
    for page, (data, _) in zip(doc, pages, strict=True):
        page.insert_image(page.rect, stream=data)
    out = doc.tobytes(garbage=3, deflate=True, no_new_id=True, reproducible=True)
    doc.close()
    return out


def to_image(pages: list[tuple[bytes, ScanParams]], fmt: str) -> bytes:
    """PNG or JPEG of a single page, or a (multi-page) TIFF."""
    if fmt == "jpeg":
        assert len(pages) == 1
        return pages[0][0]
    images = [Image.open(io.BytesIO(data)) for data, _ in pages]
    buf = io.BytesIO()
    dpi = (pages[0][1].dpi, pages[0][1].dpi)
    if fmt == "png":
        assert len(images) == 1
        images[0].save(buf, format="PNG", dpi=dpi, optimize=False)
    elif fmt == "tiff":
        images[0].save(buf, format="TIFF", save_all=True, append_images=images[1:], compression="jpeg", dpi=dpi)
    else:
        raise ValueError(f"unknown image format {fmt!r}")
    return buf.getvalue()
