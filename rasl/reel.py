"""Rendering a highlight reel: the chosen segments of a video, in order, as one MP4.

Each segment ``[start_s, end_s)`` (seconds after the first video frame: the origin of the
0.2-s timeline of :mod:`rasl.decode`) is cut from the source with PyAV: the demuxer seeks
to the keyframe before the segment, the frames whose time falls inside it are kept, and
they are re-encoded to H.264 (yuv420p, even frame size) with timestamps that continue
where the previous segment ended. Audio, when the source has a track, is cut
sample-exactly to the same span (silence fills any part the track does not cover, so
sound and picture stay in sync across cuts) and re-encoded to AAC with the source's
channel layout and sample rate. Memory holds one frame or audio block at a time.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from tqdm import tqdm

from rasl.decode import open_container, video_stream
from rasl.files import atomic_path
from rasl.highlights import Segment

VIDEO_TIME_BASE = Fraction(1, 90000)  # fine enough for variable-rate sources
X264_OPTIONS = {"preset": "veryfast", "crf": "20"}
_EPS = 1e-3  # seconds: a frame at ``end_s - 1 ms`` or later belongs to the next segment


def _decode_from(src, stream, t0: float, start_s: float) -> Iterator[av.frame.Frame]:
    """Decoded frames of ``stream`` from the last one at or before ``start_s`` on.

    A seek that lands late (MPEG-PS files have no index, so ``backward`` is a guess there)
    is retried 1, 2, 4, ... s further back.
    """
    back = 0.0
    while True:
        target = max(start_s - back, 0.0)
        src.seek(int((target + t0) / stream.time_base), stream=stream, backward=True)
        frames = src.decode(stream)
        first = next(frames, None)
        if first is None:
            return
        if first.time - t0 <= start_s + _EPS or target == 0.0:
            yield first
            yield from frames
            return
        back = max(2 * back, 1.0)


def _video_frames(
    src, stream, t0: float, seg: Segment
) -> Iterator[tuple[float, av.VideoFrame]]:
    """Decoded frames with ``start_s <= t < end_s``, as (seconds after ``seg.start_s``, frame)."""
    for frame in _decode_from(src, stream, t0, seg.start_s):
        t = frame.time - t0
        if t + _EPS >= seg.end_s:
            return
        if t + _EPS >= seg.start_s:
            yield max(t - seg.start_s, 0.0), frame


def _audio_chunks(
    src, stream, t0: float, seg: Segment, resampler
) -> Iterator[np.ndarray]:
    """The segment's audio as float32 (C, n) chunks totalling round(length * rate) samples."""
    rate = stream.rate
    first, stop = round(seg.start_s * rate), round(seg.end_s * rate)
    at = first  # next sample index (from the video's start) still to emit
    for decoded in _decode_from(src, stream, t0, seg.start_s):
        begin = round((decoded.time - t0) * rate)
        # same rate and layout: the resampler only converts the sample format, without delay
        samples = np.concatenate(
            [f.to_ndarray() for f in resampler.resample(decoded)], axis=1
        )  # (C, n)
        if begin > at:  # a hole in the track: fill it with silence
            yield np.zeros((samples.shape[0], min(begin, stop) - at), np.float32)
            at = min(begin, stop)
        lo, hi = max(at - begin, 0), min(stop - begin, samples.shape[1])
        if hi > lo:
            yield samples[:, lo:hi]
            at = begin + hi
        if at >= stop:
            return
    if at < stop:
        yield np.zeros((stream.channels, stop - at), np.float32)


def render_reel(
    video: str | Path,
    segments: Sequence[Segment],
    out: str | Path,
    progress: bool = False,
) -> Path:
    """Write the segments of ``video``, in the given order, to the MP4 ``out``; return ``out``.

    The reel lasts about the sum of the segment lengths (to within a frame per segment)
    and has an AAC track exactly when the source has an audio track. ``out`` appears only
    once complete.
    """
    if not segments:
        raise ValueError("a reel needs at least one segment")
    with open_container(video) as src, atomic_path(out) as tmp:
        _render(src, video_stream(src, video), segments, tmp, progress)
    return Path(out)


def _render(src, in_v, segments: Sequence[Segment], tmp: Path, progress: bool) -> None:
    in_v.thread_type = "AUTO"
    in_a = src.streams.audio[0] if src.streams.audio else None
    # the timeline's origin, as in rasl.decode
    t0 = float((in_v.start_time or 0) * in_v.time_base)
    with av.open(str(tmp), "w", format="mp4") as dst:
        out_v = dst.add_stream(
            "libx264",
            rate=in_v.average_rate or in_v.guessed_rate or 25,
            options=X264_OPTIONS,
        )
        out_v.width, out_v.height = in_v.width // 2 * 2, in_v.height // 2 * 2
        out_v.pix_fmt = "yuv420p"
        out_v.codec_context.time_base = VIDEO_TIME_BASE
        if in_a is not None:
            rate, layout = in_a.rate, in_a.layout.name
            out_a = dst.add_stream("aac", rate=rate, layout=layout)
            resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate)
        offset, last_pts, sample_at = 0.0, -1, 0
        bar = tqdm(
            total=sum(s.length_s for s in segments),
            desc="reel",
            disable=not progress,
            bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.1f}/{total:.1f} s of video [{elapsed}]",
        )
        for seg in segments:
            for dt, frame in _video_frames(src, in_v, t0, seg):
                pts = max(round((offset + dt) / VIDEO_TIME_BASE), last_pts + 1)
                frame = frame.reformat(
                    width=out_v.width, height=out_v.height, format="yuv420p"
                )
                frame.pts, frame.time_base, last_pts = pts, VIDEO_TIME_BASE, pts
                dst.mux(out_v.encode(frame))
            if in_a is not None:
                for chunk in _audio_chunks(src, in_a, t0, seg, resampler):
                    frame = av.AudioFrame.from_ndarray(
                        np.ascontiguousarray(chunk), format="fltp", layout=layout
                    )
                    frame.sample_rate, frame.pts, frame.time_base = (
                        rate,
                        sample_at,
                        Fraction(1, rate),
                    )
                    sample_at += chunk.shape[1]
                    dst.mux(out_a.encode(frame))
            offset += seg.length_s
            bar.update(seg.length_s)
        bar.close()
        dst.mux(out_v.encode(None))
        if in_a is not None:
            dst.mux(out_a.encode(None))
