"""Small media files written with PyAV for tests: exact timestamps, known content."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def write_video(
    path: Path, pts_ms: list[int], images: list[np.ndarray], rotation: int = 0
) -> Path:
    """An H.264 video showing ``images[k]`` (H, W, 3) uint8 from ``pts_ms[k]`` ms.

    ``rotation``: display-matrix angle as phones write it (-90: turn clockwise to show).
    """
    height, width = images[0].shape[:2]
    with av.open(str(path), "w") as c:
        v = c.add_stream("libx264", rate=25)
        v.width, v.height, v.pix_fmt = width, height, "yuv420p"
        v.time_base = v.codec_context.time_base = Fraction(1, 1000)
        if rotation:
            v.set_display_rotation(rotation)
        for pts, image in zip(pts_ms, images):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts, frame.time_base = pts, Fraction(1, 1000)
            c.mux(v.encode(frame))
        c.mux(v.encode())
    return path


def write_audio(
    path: Path,
    wave: np.ndarray,
    rate: int,
    layout: str,
    video_s: float = 0.0,
    start_s: float = 0.0,
) -> Path:
    """AAC audio (channels, samples) starting at ``start_s``, with ``video_s`` s of black 10-fps video if > 0."""
    with av.open(str(path), "w") as c:
        v = c.add_stream("libx264", rate=10) if video_s else None
        a = c.add_stream("aac", rate=rate, layout=layout)
        if v is not None:
            v.width = v.height = 64
            v.pix_fmt = "yuv420p"
            for k in range(round(video_s * 10)):
                frame = av.VideoFrame.from_ndarray(
                    np.zeros((64, 64, 3), np.uint8), format="rgb24"
                )
                frame.pts, frame.time_base = k, Fraction(1, 10)
                c.mux(v.encode(frame))
            c.mux(v.encode())
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(wave, np.float32), format="fltp", layout=layout
        )
        frame.sample_rate, frame.pts, frame.time_base = (
            rate,
            round(start_s * rate),
            Fraction(1, rate),
        )
        c.mux(a.encode(frame))
        c.mux(a.encode())
    return path
