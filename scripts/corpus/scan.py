"""Scanned-looking pages: a born-digital page rasterised, tilted, blurred, noised, unevenly lit and JPEG-compressed.

The result is wrapped back into a PDF with no text layer, or written as PNG / JPEG / multi-page TIFF.
Every random choice comes from the numpy Generator passed in, so a seed gives the same bytes.
"""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass

import cv2
import numpy as np
import pymupdf
from PIL import Image

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

    def to_dict(self) -> dict[str, float | int | bool]:
        """JSON-friendly."""
        return asdict(self)


def draw_params(rng: np.random.Generator, dpi_range: tuple[int, int] = (150, 300)) -> ScanParams:
    """Random degradation within the brief's bounds (±2.5°, 150–300 dpi)."""
    return ScanParams(
        dpi=int(rng.choice(np.arange(dpi_range[0], dpi_range[1] + 1, 25))),
        angle=round(float(rng.uniform(-2.5, 2.5)), 2),
        blur=round(float(rng.uniform(0.0, 1.2)), 2),
        noise=round(float(rng.uniform(2.0, 12.0)), 1),
        light=round(float(rng.uniform(0.0, 0.35)), 2),
        jpeg_quality=int(rng.integers(35, 86)),
        color=bool(rng.random() < 0.3),
    )


def rasterise(page: pymupdf.Page, dpi: int, color: bool) -> np.ndarray:
    """A page as an 8-bit array (gray, or RGB when `color`)."""
    pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csRGB if color else pymupdf.csGRAY, alpha=False)
    array = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width, pix.n)
    return array if color else array[:, :, 0]


def degrade(image: np.ndarray, params: ScanParams, rng: np.random.Generator) -> np.ndarray:
    """Tilt, blur, light falloff, paper tint, noise: what a flatbed scanner and an office copier leave."""
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), params.angle, 1.0)
    border = (255, 255, 255) if image.ndim == 3 else 255
    out = cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                         borderValue=border).astype(np.float32)
    if params.blur > 0.05:
        out = cv2.GaussianBlur(out, (0, 0), params.blur)
    # Uneven light: a linear falloff from one corner plus a soft vignette.
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    gx, gy = rng.uniform(-1, 1, size=2)
    ramp = 1.0 - params.light * (0.5 + 0.5 * (gx * (xx / w - 0.5) + gy * (yy / h - 0.5)))
    vignette = 1.0 - params.light * 0.35 * (((xx / w - 0.5) ** 2 + (yy / h - 0.5) ** 2) * 2)
    shade = ramp * vignette
    if out.ndim == 3:
        tint = np.array([rng.uniform(0.93, 1.0), rng.uniform(0.95, 1.0), 1.0], dtype=np.float32)  # BGR-ish paper
        out = out * shade[:, :, None] * tint
    else:
        out = out * shade
    noise = rng.normal(0.0, params.noise, size=out.shape).astype(np.float32)
    out = out + noise
    # A few dust specks.
    for _ in range(int(rng.integers(0, 25))):
        y, x = int(rng.integers(0, h)), int(rng.integers(0, w))
        cv2.circle(out, (x, y), int(rng.integers(1, 3)), (60, 60, 60) if out.ndim == 3 else 60, -1)
    return np.clip(out, 0, 255).astype(np.uint8)


def jpeg(image: np.ndarray, quality: int) -> bytes:
    """JPEG bytes (the artefacts are part of the look)."""
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return buf.tobytes()


def scan_pages(pdf: bytes, rng: np.random.Generator, dpi_range: tuple[int, int] = (150, 300)
               ) -> list[tuple[bytes, ScanParams]]:
    """Every page of a born-digital PDF as a degraded JPEG with the parameters used."""
    doc = pymupdf.open(stream=pdf, filetype="pdf")
    pages = []
    for page in doc:
        params = draw_params(rng, dpi_range)
        image = degrade(rasterise(page, params.dpi, params.color), params, rng)
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
