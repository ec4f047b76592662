"""Write a long test video by looping a shared one, to measure memory over long inputs.

    python benchmarks/long_video.py OUT.mp4 [--minutes 10] [--source VIDEO]
    /usr/bin/time -v rasl features OUT.mp4 --out /tmp/cache --quiet   # "Maximum resident set size"

Video: the source's frames (default the 720p Big Buck Bunny opening), re-encoded with
H.264 at the source's size and rate; audio: its first audio track, AAC stereo 44.1 kHz.
Both are looped and re-timed until ``--minutes`` are written.
"""

from __future__ import annotations

import argparse
import heapq
from fractions import Fraction
from pathlib import Path

import av

from rasl.config import default_data_root


def _looped(path: Path, kind: str, seconds: float):
    """Frames of the first ``kind`` stream of ``path``, replayed until ``seconds``, with new timestamps."""
    offset = 0.0
    while True:
        with av.open(str(path)) as c:
            stream = getattr(c.streams, kind)[0]
            end = 0.0
            for frame in c.decode(stream):
                t = offset + frame.time
                if t >= seconds:
                    return
                end = frame.time + float((frame.duration or 0) * frame.time_base)
                yield t, frame  # the caller may re-time the frame
            offset += end


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument(
        "--source",
        default=str(
            Path(default_data_root() or ".") / "videos" / "big_buck_bunny_0_30.webm"
        ),
    )
    a = parser.parse_args()
    seconds, source = a.minutes * 60, Path(a.source)
    with av.open(str(source)) as c:
        v_in = c.streams.video[0]
        rate, width, height = (
            v_in.average_rate,
            v_in.codec_context.width,
            v_in.codec_context.height,
        )
    with av.open(a.out, "w") as out:
        video = out.add_stream(
            "libx264", rate=rate, options={"preset": "ultrafast", "crf": "23"}
        )
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        audio = out.add_stream("aac", rate=44100, layout="stereo")
        resampler = av.AudioResampler(format="fltp", layout="stereo", rate=44100)
        samples = frames = 0
        streams = heapq.merge(
            _looped(source, "video", seconds),
            _looped(source, "audio", seconds),
            key=lambda tf: tf[0],
        )
        for t, frame in streams:  # interleaved by time, as a real file is
            if isinstance(frame, av.VideoFrame):
                frame = frame.reformat(format="yuv420p")
                frame.pts, frame.time_base = frames, Fraction(1) / rate  # constant rate
                frames += 1
                out.mux(video.encode(frame))
                continue
            for chunk in resampler.resample(frame):
                chunk.pts, chunk.time_base = samples, Fraction(1, 44100)
                samples += chunk.samples
                out.mux(audio.encode(chunk))
        out.mux(video.encode())
        out.mux(audio.encode())


if __name__ == "__main__":
    main()
