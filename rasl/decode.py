"""Streaming decode of any video file into the 0.2-s timeline of Section III-F.

Timeline rule. A video whose video stream lasts ``duration`` seconds has
``T = ceil(duration / STEP_S)`` steps (computed to a microsecond, so 30.0 s gives 150
steps and 30.1 s gives 151). Step ``i`` covers ``[0.2 i, 0.2 (i + 1))`` seconds after the
first video frame, and its frame is the one on screen at time ``0.2 i``: the last frame
whose presentation time is ``<= 0.2 i``. Times are presentation timestamps, so fractional
and variable frame rates land on the right steps; a frame shown across several steps
(below 5 fps) is repeated. Audio is laid on the same clock: ``T * 0.2 * SAMPLE_RATE``
mono samples, starting at the first video frame, cut or padded with silence at the end.

Both streams are generators that hold one frame or one audio chunk at a time, so memory
does not grow with the duration. Every problem with the file raises
:class:`rasl.files.InputError` naming it.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from rasl.config import CLIP_STEPS, STEP_S
from rasl.files import InputError

# FFmpeg's own log callback instead of PyAV's, which takes the GIL from the decoder's
# threads: freeing a frame-threaded codec context (with the GIL held) joins a thread that
# waits for the GIL to log, and the process hangs (PyAV issues 751 and 909; seen here in
# the test suite). FFmpeg's messages would go to stderr: only a panic is printed, so bad
# input is still reported as one line of ours.
av.logging.restore_default_callback()
av.logging.set_libav_level(av.logging.PANIC)

# Hz, what HuBERT and wav2vec 2.0 expect; every audio encoder gets it

SAMPLE_RATE = 16000
STEP = Fraction(STEP_S).limit_denominator(1000)  # 1/5 s, exact
STEP_SAMPLES = int(STEP * SAMPLE_RATE)  # 3200 audio samples per step
TRUNCATION_TOLERANCE_S = 0.5  # packets may end this much before the declared duration


def timeline_steps(duration_s: float) -> int:
    """Number of steps ``T = ceil(duration / 0.2)``, rounded to a microsecond first."""
    return math.ceil(round(duration_s / STEP_S, 6))


@dataclass(frozen=True)
class VideoInfo:
    """What :func:`probe` reads from the container headers (no decoding)."""

    path: str
    duration_s: float  # of the video stream
    fps: float  # average frame rate (informative only: sampling uses timestamps)
    width: int
    height: int
    has_audio: bool
    audio_channels: int  # 0 without audio
    audio_rate: int  # Hz, 0 without audio
    start_s: float  # presentation time of the first video frame: the timeline's origin

    @property
    def steps(self) -> int:
        """T, the length of the visual and audio FVS."""
        return timeline_steps(self.duration_s)


@contextlib.contextmanager
def open_container(path: str | os.PathLike) -> Iterator[av.container.InputContainer]:
    """Open ``path`` with PyAV, turning every failure into an :class:`InputError`."""
    p = Path(path)
    if not p.exists():
        raise InputError(path, "no such file")
    if p.is_dir():
        raise InputError(path, "is a directory, not a video file")
    try:
        with open(p, "rb") as f:
            f.read(1)
    except OSError as e:
        raise InputError(path, f"cannot read the file ({e.strerror or e})") from None
    try:
        container = av.open(str(p))
    except (av.FFmpegError, UnicodeDecodeError) as e:
        raise InputError(
            path,
            f"cannot be read as a video ({_reason(e)}): not a video, or truncated or corrupt",
        ) from None
    with container:
        yield container


def _reason(e: Exception) -> str:
    return getattr(e, "strerror", None) or str(e) or type(e).__name__


def video_stream(container, path) -> av.video.stream.VideoStream:
    """The first video stream that is not cover art."""
    for s in container.streams.video:
        if not s.disposition & av.stream.Disposition.attached_pic:
            return s
    if container.streams.audio:
        raise InputError(path, "audio-only file: it has no video stream")
    raise InputError(path, "not a video file: it has no video stream")


def _stream_duration(container, v) -> Fraction | None:
    """Duration of stream ``v`` in seconds from the headers, else from the container."""
    if v.duration:
        return v.duration * v.time_base
    if container.duration:
        offset = (v.start_time or 0) * v.time_base - Fraction(
            container.start_time or 0, 10**6
        )
        return Fraction(container.duration, 10**6) - offset
    return None


def _packet_end(packet: av.Packet, origin: int) -> Fraction:
    """Seconds from ``origin`` (in the packet's time base) to the end of ``packet``."""
    return (packet.pts + (packet.duration or 0) - origin) * packet.time_base


def _packets_end(container, v) -> Fraction:
    """End of the last video packet after the first, in seconds, by demuxing only."""
    ends = [
        _packet_end(p, v.start_time or 0)
        for p in container.demux(v)
        if p.pts is not None
    ]
    return max(ends, default=Fraction(0))


def probe(path: str | os.PathLike) -> VideoInfo:
    """Read a video's headers; raise :class:`InputError` for anything that is not a usable video.

    Catches a missing or unreadable path, a file FFmpeg cannot parse, a file without a
    video stream (audio-only included), zero duration, and a truncated file whose last
    second no longer decodes. Truncation the headers cannot reveal is caught while decoding.
    """
    with open_container(path) as c:
        v = video_stream(c, path)
        duration = _stream_duration(c, v)
        # no header duration (raw streams): read the packet timestamps
        if duration is None:
            duration = _packets_end(c, v)
        if duration <= 0:
            raise InputError(path, "zero duration: the video stream has no frames")
        start = (v.start_time or 0) * v.time_base
        _check_tail(c, v, start + duration, path)
        a = next(iter(c.streams.audio), None)
        return VideoInfo(
            path=str(path),
            duration_s=float(duration),
            fps=float(v.average_rate or v.guessed_rate or 0),
            width=v.codec_context.width,
            height=v.codec_context.height,
            has_audio=a is not None,
            audio_channels=a.codec_context.channels if a else 0,
            audio_rate=a.codec_context.sample_rate if a else 0,
            start_s=float(start),
        )


def _check_tail(c, v, end: Fraction, path) -> None:
    """Seek to the last second and decode one frame: a cut-off file has none there."""
    target = max(Fraction(0), end - 1) / v.time_base
    try:
        c.seek(int(target), stream=v, backward=True)
        if next(c.decode(v), None) is not None:
            return
    except av.FFmpegError:
        pass
    raise InputError(
        path,
        f"truncated or corrupt: no frame decodes near the end ({float(end):.1f} s)",
    )


def frames(
    path: str | os.PathLike, size: int, info: VideoInfo | None = None
) -> Iterator[np.ndarray]:
    """Yield the frame of each of the T steps as a (size, size, 3) RGB uint8 array.

    The whole frame is resized (no crop) with area interpolation; rotation metadata of
    phone videos is applied. Raises :class:`InputError` when the file turns out corrupt or
    its video packets stop more than 0.5 s before the declared duration.
    """
    info = info or probe(path)
    steps = info.steps
    with open_container(path) as c:
        v = video_stream(c, path)
        v.thread_type = "AUTO"
        origin = v.start_time or 0
        # only for the rare frame without a timestamp
        rate = v.average_rate or v.guessed_rate or 25
        step, shown, shown_rgb, end, t = 0, None, None, Fraction(0), Fraction(0)
        for packet in _demux(c, v, path):
            if packet.pts is not None:
                end = max(end, _packet_end(packet, origin))
            for frame in _decode(packet, path):
                t = (
                    (frame.pts - origin) * v.time_base
                    if frame.pts is not None
                    else t + 1 / rate
                )
                while shown is not None and step < steps and step * STEP < t:
                    shown_rgb = (
                        shown_rgb if shown_rgb is not None else _rgb(shown, size)
                    )
                    yield shown_rgb
                    step += 1
                shown, shown_rgb = frame, None
        if shown is None:
            raise InputError(path, "no video frame could be decoded")
        if end < info.duration_s - TRUNCATION_TOLERANCE_S:
            raise InputError(
                path,
                f"truncated: video data stops at {float(end):.1f} s of {info.duration_s:.1f} s",
            )
        last = _rgb(shown, size)
        for _ in range(step, steps):
            yield last


def _demux(c, stream, path) -> Iterator[av.Packet]:
    try:
        yield from c.demux(stream)
    except av.FFmpegError as e:
        raise InputError(
            path, f"truncated or corrupt: cannot read the stream ({_reason(e)})"
        ) from None


def _decode(packet: av.Packet, path) -> list:
    try:
        return packet.decode()
    except av.FFmpegError as e:
        at = (
            f" at {float(packet.pts * packet.time_base):.1f} s"
            if packet.pts is not None
            else ""
        )
        raise InputError(
            path, f"truncated or corrupt data{at} ({_reason(e)})"
        ) from None


def _rgb(frame: av.VideoFrame, size: int) -> np.ndarray:
    """(size, size, 3) uint8, upright."""
    rgb = frame.reformat(
        width=size, height=size, format="rgb24", interpolation="AREA"
    ).to_ndarray()
    # display matrix, counter-clockwise degrees
    quarter_turns = round(frame.rotation / 90) % 4
    return np.ascontiguousarray(np.rot90(rgb, quarter_turns)) if quarter_turns else rgb


def audio(
    path: str | os.PathLike,
    info: VideoInfo | None = None,
    chunk_steps: int = CLIP_STEPS,
) -> Iterator[np.ndarray]:
    """Yield the audio track as mono float32 chunks at ``SAMPLE_RATE`` on the video timeline.

    Any channel count is down-mixed and any rate resampled (FFmpeg's swresample). Each
    chunk covers ``chunk_steps`` steps, shape (chunk_steps * STEP_SAMPLES,), and the last
    one the remaining steps: together exactly T * STEP_SAMPLES samples, padded with silence
    where the track ends early. Raises :class:`InputError` if there is no audio track.
    """
    info = info or probe(path)
    full, rest = divmod(info.steps, chunk_steps)
    sizes = [chunk_steps * STEP_SAMPLES] * full + (
        [rest * STEP_SAMPLES] if rest else []
    )
    with contextlib.closing(_aligned_samples(path, info)) as pieces:
        carry = np.zeros(0, np.float32)
        for n in sizes:
            parts, have = [carry], len(carry)
            while have < n and (piece := next(pieces, None)) is not None:
                parts.append(piece)
                have += len(piece)
            block = np.concatenate(parts)
            carry = block[n:]
            yield np.pad(block[:n], (0, max(0, n - len(block))))


def _aligned_samples(path, info: VideoInfo) -> Iterator[np.ndarray]:
    """Mono float32 pieces at ``SAMPLE_RATE``, starting at the first video frame.

    Audio that starts after the first video frame is preceded by silence; audio that
    starts before it is cut. Gaps inside the track are not filled.
    """
    with open_container(path) as c:
        if not c.streams.audio:
            raise InputError(path, "no audio track")
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        drop = None  # samples before the first video frame still to cut
        for packet in _demux(c, c.streams.audio[0], path):
            # the end of the stream flushes the resampler
            flush = [None] if packet.size == 0 else []
            for frame in _decode(packet, path) + flush:
                for out in resampler.resample(frame):
                    samples = out.to_ndarray()[0]
                    if drop is None:
                        drop = round((info.start_s - (out.time or 0.0)) * SAMPLE_RATE)
                        if drop < 0:
                            yield np.zeros(-drop, np.float32)
                    if drop > 0:
                        samples, drop = samples[drop:], max(0, drop - len(samples))
                    yield samples
