"""Video -> visual and audio FVS: timelines, Section III-F pooling, cache, bad input via the CLI."""

from __future__ import annotations

import dataclasses
import itertools
import os
import threading

import av
import numpy as np
import pytest
import torch
from synthetic_media import write_audio

from rasl import features
from rasl.cli import main
from rasl.config import FeatureConfig, smoke
from rasl.features import extract_features, pool_to_steps, resample_vectors
from rasl.files import InputError, list_videos
from rasl.runtime import native_bf16

# the smoke profile's encoders
OFFLINE = FeatureConfig(visual="efficientnet_lite0", audio="mel", batch_size=8)
FAST = FeatureConfig(visual="pixels", audio="mel")
SILENT = {"example.mp4", "cityCC0.mpg"}  # shared videos without an audio track


@pytest.fixture(scope="session")
def extracted(videos_dir, tmp_path_factory):
    """Every shared video through the offline encoders, once: (cache folder, {name: Features})."""
    cache = tmp_path_factory.mktemp("features")
    return cache, {
        p.name: extract_features(p, OFFLINE, cache_dir=cache)
        for p in list_videos(videos_dir)
    }


def test_every_shared_video_gets_both_fvs_on_the_visual_timeline(extracted):
    cache, feats = extracted
    assert feats and len(list(cache.glob("*.npz"))) == len(feats)
    for name, f in feats.items():
        steps = f.meta["steps"]
        assert steps == features.decode.timeline_steps(f.duration_s)
        assert (
            f.visual.shape == (steps, 1280)
            and f.visual.dtype == np.float32
            and np.isfinite(f.visual).all()
        )
        if name in SILENT:
            assert f.audio is None and not f.meta["has_audio"]
        else:
            assert (
                f.audio.shape == (steps, 1280)
                and f.audio.dtype == np.float32
                and np.isfinite(f.audio).all()
            )
            assert f.audio.std(axis=0).mean() > 0  # the sound changes over time
        assert (
            f.meta["visual"]["name"] == "efficientnet_lite0"
            and f.meta["audio"]["name"] == "mel"
        )
        assert (
            f.meta["step_s"] == 0.2
            and f.meta["sample_rate"] == 16000
            and len(f.meta["fingerprint"]) == 64
        )


def test_thirty_seconds_give_150_vectors_per_modality(extracted, shared_video):
    _, feats = extracted
    f = feats[shared_video("big_buck_bunny_0_30.webm").name]
    assert f.visual.shape == f.audio.shape == (150, 1280)


def test_average_pooling_onto_steps_by_hand():
    frames = np.array([[0, 0], [2, 4], [4, 8], [6, 12]], np.float32)
    assert np.array_equal(pool_to_steps(frames, 2), [[1, 2], [5, 10]])
    # bins [0, 3) and [2, 5) overlap when uneven
    five = np.arange(5, dtype=np.float32)[:, None]
    assert np.array_equal(pool_to_steps(five, 2), [[1], [3]])


def test_linear_interpolation_of_vector_length_by_hand():
    assert np.allclose(
        resample_vectors(np.array([[0, 1, 2], [4, 4, 4]], np.float32), 5),
        [[0, 0.5, 1, 1.5, 2], [4, 4, 4, 4, 4]],
    )


def test_a_valid_cache_file_is_reused(extracted, videos_dir, monkeypatch):
    cache, feats = extracted
    name = next(iter(feats))

    def no_compute(*args):
        raise AssertionError("recomputed although the cache was valid")

    monkeypatch.setattr(features, "_computed", no_compute)
    again = extract_features(videos_dir / name, OFFLINE, cache_dir=cache)
    assert (
        np.array_equal(again.visual, feats[name].visual)
        and again.meta == feats[name].meta
    )


def test_cache_follows_video_content_and_configuration(
    demo_clip, small_video, tmp_path, monkeypatch
):
    video, cache = tmp_path / "clip.mp4", tmp_path / "cache"
    video.write_bytes(demo_clip.read_bytes())
    first = extract_features(video, FAST, cache_dir=cache)
    (path,) = cache.iterdir()
    assert first.visual.shape == (60, 1024) and first.audio.shape == (60, 1024)

    video.write_bytes(small_video.read_bytes())  # same path, other content
    second = extract_features(video, FAST, cache_dir=cache)
    assert (
        list(cache.iterdir()) == [path]
        and second.visual.shape == (48, 1024)
        and second.audio is None
    )
    assert second.meta["fingerprint"] != first.meta["fingerprint"]

    monkeypatch.setattr(features.encoder_class("pixels"), "version", "gray32/r2")
    features._encoder.cache_clear()
    # a new encoder version is a new configuration
    extract_features(video, FAST, cache_dir=cache)
    assert len(list(cache.iterdir())) == 2
    features._encoder.cache_clear()


@pytest.mark.parametrize("native", [True, False])
def test_bf16_unset_follows_the_hardware_and_set_wins(monkeypatch, native):
    monkeypatch.setattr("rasl.runtime.native_bf16", lambda device: native)
    assert features.visual_bf16(dataclasses.replace(OFFLINE, bf16=None)) is native
    assert features.visual_bf16(dataclasses.replace(OFFLINE, bf16=True)) is True
    # the default, and the paper profile's
    assert features.visual_bf16(OFFLINE) is False


def test_bf16_features_stay_close_to_fp32_and_are_cached_apart(
    extracted, shared_video, tmp_path
):
    video = shared_video("chaplin.mp4")
    fp32 = extracted[1][video.name]
    bf16 = extract_features(
        video, dataclasses.replace(OFFLINE, bf16=True), cache_dir=tmp_path
    )
    assert bf16.meta["visual_bf16"] and not fp32.meta["visual_bf16"]
    assert features.cache_path(video, OFFLINE, tmp_path) not in list(tmp_path.iterdir())
    cosine = (
        (bf16.visual * fp32.visual).sum(1)
        / np.linalg.norm(bf16.visual, axis=1)
        / np.linalg.norm(fp32.visual, axis=1)
    )
    assert not np.array_equal(bf16.visual, fp32.visual)  # it did run in bf16
    assert cosine.min() > 0.99  # measured: 0.995 at worst on women_long_jump.mp4
    assert np.array_equal(bf16.audio, fp32.audio)  # the audio encoder is untouched


def test_a_damaged_cache_file_is_recomputed(small_video, tmp_path):
    video = small_video
    good = extract_features(video, FAST, cache_dir=tmp_path)
    (path,) = tmp_path.iterdir()
    path.write_bytes(b"not an npz file")
    with pytest.warns(UserWarning, match=f"{path}: damaged feature cache file"):
        assert np.array_equal(
            extract_features(video, FAST, cache_dir=tmp_path).visual, good.visual
        )
    assert np.array_equal(np.load(path)["visual"], good.visual)


def test_background_decoding_reraises_and_stops_early():
    def broken():
        yield 1
        raise InputError("clip.mp4", "truncated")

    with pytest.raises(InputError, match="truncated"):
        list(features._background(broken(), 1))
    before = threading.active_count()
    endless = features._background((i for i in itertools.count()), 2)
    assert [next(endless) for _ in range(3)] == [0, 1, 2]
    endless.close()  # the consumer stops: the worker thread must end, not block on a full queue
    assert threading.active_count() == before


def _zero_frame_avi(tmp_path):
    path = tmp_path / "empty.avi"
    with av.open(str(path), "w") as c:
        v = c.add_stream("mpeg4", rate=25)
        v.width = v.height = 64
        c.start_encoding()
    return path


def _half_of(name):
    def make(tmp_path, shared_video):
        data = shared_video(name).read_bytes()
        (tmp_path / name).write_bytes(data[: len(data) // 2])
        return tmp_path / name

    return make


def _noise(tmp_path, shared_video):
    (tmp_path / "noise.mp4").write_bytes(np.random.default_rng(0).bytes(50_000))
    return tmp_path / "noise.mp4"


def _text(tmp_path):
    (tmp_path / "labels.csv").write_text(
        "video,start_s,end_s,source\nclip.mp4,1.0,2.5,hand\n"
    )
    return tmp_path / "labels.csv"


def _audio_only(tmp_path, shared_video):
    tone = np.sin(np.arange(44100, dtype=np.float32) * 0.06)[None]
    return write_audio(tmp_path / "tone.m4a", tone, 44100, "mono")


BAD_INPUTS = {  # how to make it -> what the one line must say
    "missing": (lambda tmp_path, shared_video: tmp_path / "absent.mp4", "no such file"),
    "not a video": (
        lambda tmp_path, shared_video: _text(tmp_path),
        "cannot be read as a video",
    ),
    "unreadable": (_noise, "cannot be read as a video"),
    "truncated mp4": (_half_of("women_long_jump.mp4"), "truncated"),
    "truncated webm": (
        _half_of("big_buck_bunny_0_30.webm"),
        "truncated: video data stops at 14.5 s of 30.0 s",
    ),
    "zero duration": (
        lambda tmp_path, shared_video: _zero_frame_avi(tmp_path),
        "zero duration",
    ),
    "audio only": (_audio_only, "audio-only file"),
}


@pytest.mark.parametrize("kind", sorted(BAD_INPUTS))
def test_bad_input_gives_one_line_exit_1_and_no_cache_file(
    kind, tmp_path, request, capfd
):
    make, problem = BAD_INPUTS[kind]
    # the data root only if used
    path = make(tmp_path, lambda name: request.getfixturevalue("shared_video")(name))
    out = tmp_path / "out"
    assert (
        main(
            ["features", str(path), "--out", str(out), "--visual", "pixels", "--quiet"]
        )
        == 1
    )
    lines = capfd.readouterr().err.splitlines()
    assert len(lines) == 1 and str(path) in lines[0] and problem in lines[0]
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize("workers", ["0", "2"])
def test_a_batch_continues_past_bad_files(small_video, tmp_path, capfd, workers):
    good = small_video
    bad = _noise(tmp_path, None)
    out = tmp_path / "out"
    argv = [
        "features",
        str(bad),
        str(good),
        "--out",
        str(out),
        "--visual",
        "pixels",
        "--workers",
        workers,
        "--quiet",
    ]
    assert main(argv) == 1
    lines = capfd.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"rasl: failed: {bad}: ")
    assert [p.name.split(".")[0] for p in out.iterdir()] == ["small"]


def test_an_audio_encoder_as_visual_is_one_error_line(small_video, tmp_path, capfd):
    assert (
        main(
            [
                "features",
                str(small_video),
                "--out",
                str(tmp_path),
                "--visual",
                "mel",
                "--quiet",
            ]
        )
        == 1
    )
    assert (
        capfd.readouterr().err.strip()
        == "rasl: error: mel: is not a visual encoder (it is audio)"
    )
    assert not os.listdir(tmp_path)


def test_the_features_command_fills_the_cache_the_smoke_profile_reads(
    shared_video, tmp_path, monkeypatch
):
    video = shared_video("fire2.mp4")
    assert (
        main(
            [
                "features",
                str(video),
                "--out",
                str(tmp_path),
                "--device",
                "cpu",
                "--quiet",
            ]
        )
        == 0
    )
    monkeypatch.setattr(
        features,
        "_computed",
        lambda *a: pytest.fail("recomputed: the cache keys differ"),
    )
    feats = extract_features(video, smoke().features, cache_dir=tmp_path)
    assert feats.meta["visual_bf16"] == native_bf16("cpu")
    monkeypatch.undo()
    # the other precision than the default, which follows the CPU (bf16 where it is native)
    other = "--no-bf16" if native_bf16("cpu") else "--bf16"
    assert (
        main(
            [
                "features",
                str(video),
                "--out",
                str(tmp_path),
                "--device",
                "cpu",
                other,
                "--quiet",
            ]
        )
        == 0
    )
    # features of the other precision are another cache entry
    assert len(list(tmp_path.glob("*.npz"))) == 2


@pytest.mark.parametrize("rank", [0, 1])
def test_a_process_extracts_its_share_of_the_videos(
    small_video, tmp_path, monkeypatch, rank
):
    """Under RANK/WORLD_SIZE (torchrun's variables) process r takes every other video from the r-th."""
    for i in range(3):
        (tmp_path / f"v{i}.mp4").symlink_to(small_video)
    monkeypatch.setenv("RANK", str(rank))
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert features.extract_many(
        [str(tmp_path), str(tmp_path / "absent")],
        FAST,
        tmp_path / "out",
        progress=False,
        # a missing input: reported once
    ) == ([(str(tmp_path / "absent"), "no such file or folder")] if rank == 0 else [])
    assert sorted(p.name.split(".")[0] for p in (tmp_path / "out").iterdir()) == (
        ["v0", "v2"] if rank == 0 else ["v1"]
    )


def _cache_files(folder):
    """{file name: {array name: array}} of a cache folder."""
    out = {}
    for path in sorted(folder.iterdir()):
        with np.load(path) as z:
            out[path.name] = {key: z[key] for key in z.files}
    return out


def test_decode_workers_write_the_cache_files_one_process_writes(
    demo_clip, small_video, tmp_path, monkeypatch
):
    videos = [
        str(demo_clip),
        str(small_video),
    ]  # 60 steps with sound, 48 silent, each step its own grey
    assert features.extract_many(videos, FAST, tmp_path / "one", progress=False) == []
    resolve = features.visual_bf16

    def in_the_main_process(
        cfg,
    ):  # a worker forked from a CUDA process cannot ask CUDA about bf16
        assert torch.utils.data.get_worker_info() is None, (
            "a decode worker resolved the configuration"
        )
        return resolve(cfg)

    monkeypatch.setattr(features, "visual_bf16", in_the_main_process)
    assert (
        features.extract_many(videos, FAST, tmp_path / "two", progress=False, workers=2)
        == []
    )
    one, two = _cache_files(tmp_path / "one"), _cache_files(tmp_path / "two")
    assert list(one) == list(two) and len(one) == 2
    assert [sorted(arrays) for arrays in one.values()] == [
        ["meta", "visual"],
        ["audio", "meta", "visual"],
    ]
    for name, arrays in one.items():
        assert all(
            np.array_equal(array, two[name][key]) for key, array in arrays.items()
        ), name  # meta too


def test_decode_workers_list_bad_files_and_cache_the_others(
    demo_clip, small_video, shared_video, tmp_path
):
    unreadable = _noise(tmp_path, None)  # fails in the worker's probe
    # fails after its first frames
    truncated = _half_of("big_buck_bunny_0_30.webm")(tmp_path, shared_video)
    inputs = [str(truncated), str(demo_clip), str(unreadable), str(small_video)]
    failures = features.extract_many(
        inputs, FAST, tmp_path / "out", progress=False, workers=2
    )
    problems = dict(failures)  # in the order the workers came to them
    assert len(failures) == 2 and sorted(problems) == sorted(
        [str(truncated), str(unreadable)]
    )
    assert problems[str(truncated)].startswith(
        "truncated: video data stops at 14.5 s of 30.0 s"
    )
    assert problems[str(unreadable)].startswith("cannot be read as a video")
    assert sorted(p.name.split(".")[0] for p in (tmp_path / "out").iterdir()) == [
        "small",
        "synthetic_01",
    ]


def test_decode_workers_skip_the_videos_already_cached(
    demo_clip, small_video, tmp_path, monkeypatch
):
    out = tmp_path / "out"
    assert features.extract_many([str(small_video)], FAST, out, progress=False) == []
    (cached,) = out.iterdir()
    before = cached.stat().st_mtime_ns
    dispatched = []
    decoded_videos = features._DecodedVideos
    monkeypatch.setattr(
        features,
        "_DecodedVideos",
        lambda videos, cfg: decoded_videos(dispatched.extend(videos) or videos, cfg),
    )
    assert (
        features.extract_many(
            [str(small_video), str(demo_clip)], FAST, out, progress=False, workers=2
        )
        == []
    )
    assert (
        dispatched == [demo_clip]
        and cached.stat().st_mtime_ns == before
        and len(list(out.iterdir())) == 2
    )
