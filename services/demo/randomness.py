"""Deterministic random streams and smooth random fields (numpy only)."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray


def generator(seed: int, purpose: str, *indices: int) -> np.random.Generator:
    """An independent random stream for ``purpose`` (and e.g. a datatake index).

    Streams do not depend on the order in which they are drawn, so adding a feature does
    not change the others. ``purpose`` is hashed with CRC-32 (stable across runs)."""
    key = [seed, zlib.crc32(purpose.encode("utf-8")), *indices]
    return np.random.default_rng(np.random.SeedSequence(key))


def smooth_noise(
    rng: np.random.Generator,
    shape: tuple[int, int],
    scales_px: Sequence[float],
    weights: Sequence[float] | None = None,
    stretch: float = 1.0,
) -> NDArray[np.float32]:
    """A zero-mean, unit-variance random field: white noise low-passed by a sum of Gaussians.

    ``scales_px`` are the Gaussian standard deviations in pixels and ``weights`` the relative
    amplitude of each scale (several scales give fractal-looking edges). ``stretch`` > 1
    elongates the features along the columns (x). Periodic (FFT based) and fast.
    """
    weights = [1.0] * len(scales_px) if weights is None else list(weights)
    height, width = shape
    white = rng.standard_normal(shape)
    ky = np.fft.fftfreq(height)[:, np.newaxis]
    kx = np.fft.rfftfreq(width)[np.newaxis, :]
    transfer = np.zeros((height, width // 2 + 1))
    for sigma, weight in zip(scales_px, weights, strict=True):
        sigma_x = sigma * stretch
        gaussian = np.exp(-2 * np.pi**2 * (sigma**2 * ky**2 + sigma_x**2 * kx**2))
        # 2 sqrt(pi) sigma makes each scale's contribution unit variance on its own
        transfer += weight * 2 * np.sqrt(np.pi * sigma * sigma_x) * gaussian
    field = np.fft.irfft2(np.fft.rfft2(white) * transfer, s=shape)
    field -= field.mean()
    deviation = field.std()
    if deviation > 0:
        field /= deviation
    return field.astype(np.float32)
