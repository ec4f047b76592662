"""Decoding onto the 0.2-s timeline: step counts, frame choice by timestamp, audio."""

from __future__ import annotations

import math

import av
import numpy as np
import pytest
from synthetic_media import write_audio, write_video

from rasl import decode
from rasl.files import InputError

# Steps and audio channels of the shared videos, from their headers: T = ceil(duration / 0.2).
SHARED = {
    "big_buck_bunny_0_30.webm": (
        150,
        2,
    ),  # 30.000 s (container, the WebM stream has none)
    "bigbuckbunny_6ch.mp4": (27, 6),  # 5.28 s of video (the audio runs to 5.31 s)
    "chaplin.mp4": (49, 2),  # 9.64 s
    "cityCC0.mpg": (38, 0),  # 7.6 s, starting at 0.54 s
    "example.mp4": (80, 0),  # 16.0 s
    "example2.mp4": (10, 2),  # 2.0 s
    "fire2.mp4": (12, 1),  # 2.38 s at 10.5 fps
    "smpte-2997.mp4": (51, 2),  # 10.04 s
    "v_GGSY1Qvo990.mp4": (91, 1),  # 18.044 s at 19.62 fps
    "v_ZNVhz7ctTq0.mp4": (70, 1),  # 14.0 s
    "women_long_jump.mp4": (176, 2),  # 35.08 s at 24.83 fps
}


@pytest.mark.parametrize(
    ("duration", "steps"),
    [(30.0, 150), (30.1, 151), (7.6, 38), (35.08, 176), (0.04, 1), (0.2, 1), (0.21, 2)],
)
def test_timeline_steps_is_ceil_of_duration_over_step(duration, steps):
    assert decode.timeline_steps(duration) == steps


@pytest.mark.parametrize("name", sorted(SHARED))
def test_shared_video_probe_and_audio_timeline(shared_video, name):
    path = shared_video(name)
    steps, channels = SHARED[name]
    info = decode.probe(path)
    assert info.steps == steps == math.ceil(round(info.duration_s / 0.2, 6))
    assert (info.has_audio, info.audio_channels) == (channels > 0, channels)
    if info.has_audio:
        chunks = list(decode.audio(path, info, chunk_steps=40))
        assert [len(c) for c in chunks[:-1]] == [40 * 3200] * (len(chunks) - 1)
        wave = np.concatenate(chunks)
        assert wave.dtype == np.float32 and wave.shape == (steps * 3200,)
        # the real track, down-mixed, not silence
        assert 0.001 < np.sqrt(np.mean(wave**2)) < 1


def test_frames_follow_presentation_time_not_frame_index(tmp_path):
    # Variable frame rate: frame k (grey level 10 + 30 k) shown from these milliseconds.
    pts = [0, 150, 180, 500, 1000, 1010, 1390]
    grey = [np.full((64, 64, 3), 10 + 30 * k, np.uint8) for k in range(len(pts))]
    path = write_video(tmp_path / "vfr.mkv", pts, grey)
    info = decode.probe(path)
    assert info.duration_s == pytest.approx(1.43)  # last frame lasts 40 ms
    levels = [frame.mean() for frame in decode.frames(path, 16, info)]
    # step i shows the last frame with pts <= 200 i ms: 0, 2, 2, 3, 3, 4 (1000 <= 1000), 5, 6
    expected = [10 + 30 * k for k in (0, 2, 2, 3, 3, 4, 5, 6)]
    assert np.allclose(levels, expected, atol=3)


def test_frames_match_every_fifth_frame_of_a_25fps_video_with_a_start_offset(
    shared_video,
):
    path = shared_video("cityCC0.mpg")  # 25 fps, first frame at 0.54 s
    ours = list(decode.frames(path, 32))
    with av.open(str(path)) as c:
        every = [
            f.reformat(32, 32, "rgb24", interpolation="AREA").to_ndarray()
            for f in c.decode(video=0)
        ]
    assert (
        len(ours) == 38 and ours[0].shape == (32, 32, 3) and ours[0].dtype == np.uint8
    )
    assert all(np.array_equal(frame, every[5 * i]) for i, frame in enumerate(ours))


def test_phone_rotation_is_applied(tmp_path):
    image = np.zeros((32, 64, 3), np.uint8)
    image[:, :32] = 255  # stored landscape, left half white
    path = write_video(
        tmp_path / "portrait.mp4", [0, 100], [image, image], rotation=-90
    )
    frame = next(decode.frames(path, 8))[..., 0]
    # turned clockwise: the left half is on top
    assert (frame[:4] > 200).all() and (frame[4:] < 50).all()


def test_audio_is_downmixed_resampled_and_aligned_to_the_first_frame(tmp_path):
    # 5.1 at 48 kHz, a 1-kHz tone on the centre channel only, starting 0.5 s after the video.
    t = np.arange(2 * 48000) / 48000
    wave = np.zeros((6, t.size), np.float32)
    wave[2] = 0.5 * np.sin(2 * np.pi * 1000 * t)
    path = write_audio(
        tmp_path / "surround.mkv", wave, 48000, "5.1", video_s=3.0, start_s=0.5
    )
    info = decode.probe(path)
    mono = np.concatenate(list(decode.audio(path, info)))
    assert info.steps == 15 and mono.shape == (15 * 3200,)
    assert np.abs(mono[:7500]).max() < 1e-3  # silence before the audio starts
    assert np.abs(mono[8800:40000]).max() > 0.3  # the centre channel reaches mono
    spectrum = np.abs(np.fft.rfft(mono[9000:25000]))  # 1 s at 16 kHz: bin k is k Hz
    assert spectrum.argmax() == 1000
    assert np.abs(mono[-4000:]).max() < 1e-3  # padded with silence after 2.5 s


def test_audio_of_a_silent_video_is_an_error(shared_video):
    path = shared_video("example.mp4")
    with pytest.raises(InputError, match="no audio track"):
        list(decode.audio(path))
