"""30-s clips: cutting with repeat-fill and stitching back (Section III-F)."""

import re
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from rasl.clips import ClipDataset, clip_set, cut_clips, dataset_from_videos, stitch
from rasl.config import FeatureConfig, ModelConfig, RunConfig
from rasl.features import Features, write_cache
from rasl.files import InputError


def steps(t, d=2):
    # step i holds value i
    return torch.arange(t, dtype=torch.float32)[:, None].repeat(1, d)


@pytest.mark.parametrize(
    "t, lengths",
    [(1, [1]), (149, [149]), (150, [150]), (151, [150, 1]), (1000, [150] * 6 + [100])],
)
def test_cut_and_stitch_keep_the_original_steps(t, lengths):
    clips, got = cut_clips(steps(t), 150)
    assert got == lengths and clips.shape == (len(lengths), 150, 2)
    assert torch.equal(stitch(clips[..., 0], got), torch.arange(t, dtype=torch.float32))


def test_short_remainder_is_repeated_from_its_own_start():
    clips, _ = cut_clips(steps(153), 150)
    assert clips[1, :6, 0].tolist() == [150, 151, 152, 150, 151, 152]
    clips, _ = cut_clips(steps(1), 150)
    assert torch.all(clips == 0)


def test_empty_sequence_is_refused():
    with pytest.raises(ValueError, match="^cannot cut an empty sequence into clips$"):
        cut_clips(torch.zeros(0, 4), 150)


def test_stitch_refuses_values_for_another_number_of_clips():
    # a batch that lost a clip must fail, not shorten the video's curve
    with pytest.raises(ValueError, match="2 clips of values for 3 clips cut"):
        stitch(torch.zeros(2, 150), [150, 150, 20])


def feats(t, audio=True):
    v = np.random.default_rng(t).random((t, 8), dtype=np.float32)
    return Features(
        visual=v, audio=v.copy() if audio else None, duration_s=t * 0.2, meta={}
    )


def test_clip_set_skips_videos_without_audio_only_when_audio_is_pretrained():
    videos = {
        "silent.mp4": feats(40, audio=False),
        "a.mp4": feats(200),
        "mute.mp4": feats(30, audio=False),
    }
    with pytest.warns(
        UserWarning, match="2 of 3 videos have no audio track .*: silent.mp4, mute.mp4$"
    ) as caught:
        both = clip_set(videos, ("visual", "audio"), 150)
    # the warning names the caller's line, not rasl's
    assert Path(caught[0].filename).name != "clips.py"
    assert both.sources == ["a.mp4", "a.mp4"] and both.fvs["audio"].shape == (2, 150, 8)
    assert both.skipped == ["silent.mp4", "mute.mp4"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing left out, nothing to report
        visual = clip_set(videos, ("visual",), 150)
    assert visual.sources == ["silent.mp4", "a.mp4", "a.mp4", "mute.mp4"] and set(
        visual.fvs
    ) == {"visual"}
    assert visual.skipped == []
    with pytest.raises(
        ValueError, match=r"no video has every modality in \('visual', 'audio'\)"
    ):
        clip_set({"silent.mp4": feats(40, audio=False)}, ("visual", "audio"), 150)


def test_clip_set_cuts_clips_of_the_given_length():
    # 200 steps: six clips of 30 and a 20-step remainder; 40 steps: one clip and a 10-step one
    clips = clip_set({"a.mp4": feats(200), "b.mp4": feats(40)}, ("visual", "audio"), 30)
    assert clips.fvs["visual"].shape == clips.fvs["audio"].shape == (9, 30, 8)
    assert clips.sources == ["a.mp4"] * 7 + ["b.mp4"] * 2
    assert torch.equal(
        clips.fvs["visual"][1], torch.from_numpy(feats(200).visual[30:60])
    )
    assert torch.equal(
        clips.fvs["audio"][8, :10], torch.from_numpy(feats(40).visual[30:])
    )


def _files(tmp_path, videos):
    for name, f in videos.items():
        write_cache(tmp_path / f"{name}.npz", f)
    return [tmp_path / f"{name}.npz" for name in videos]


def _items(data):
    return {m: torch.stack([data[i][m] for i in range(len(data))]) for m in data[0]}


@pytest.mark.parametrize("modalities", [("visual", "audio"), ("visual",)])
def test_streamed_clips_equal_clip_set_clips(tmp_path, modalities):
    # lengths around the clip length, a silent video; 150-step clips as in the paper
    videos = {
        "a": feats(149),
        "silent": feats(40, audio=False),
        "b": feats(1),
        "c": feats(451),
        "d": feats(300),
    }
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        in_memory = clip_set(videos, modalities, 150)
        streamed = ClipDataset(_files(tmp_path, videos), modalities, 150)
    # both name the silent video
    assert len(caught) == (2 if len(modalities) == 2 else 0)
    assert len(streamed) == len(in_memory) == (8 if len(modalities) == 2 else 9)
    for m, x in _items(streamed).items():
        assert x.dtype == torch.float32 and torch.equal(x, in_memory.fvs[m])
    assert [Path(p).stem for p in streamed.skipped] == in_memory.skipped


def test_steps_and_clips_per_file_come_from_the_headers(tmp_path, monkeypatch):
    files = _files(
        tmp_path, {"a": feats(451), "silent": feats(40, audio=False), "b": feats(1)}
    )
    monkeypatch.setattr(np, "load", lambda *a, **k: pytest.fail("a file was loaded"))
    with pytest.warns(UserWarning, match="1 of 3 videos have no audio track"):
        data = ClipDataset(files, ("visual", "audio"), 150)
    assert data.steps == dict(
        zip(
            files,
            [{"visual": 451, "audio": 451}, {"visual": 40}, {"visual": 1, "audio": 1}],
        )
    )
    # the silent video left out of audio pretraining
    assert data.clips_per_file() == dict(zip(files, [4, 0, 1]))
    assert list(ClipDataset(files, ("visual",), 150).clips_per_file().values()) == [
        4,
        1,
        1,
    ]


def test_streamed_items_are_read_from_a_memory_map(tmp_path, monkeypatch):
    (path,) = _files(tmp_path, {"a": feats(451)})
    data = ClipDataset([path], ("visual",), 150)
    monkeypatch.setattr(
        np, "load", lambda *a, **k: pytest.fail("the whole file was loaded")
    )
    assert torch.equal(
        data[3]["visual"][:2], torch.from_numpy(feats(451).visual[450:]).repeat(2, 1)
    )


def test_a_damaged_feature_file_is_one_clear_error(tmp_path):
    (path,) = _files(tmp_path, {"a": feats(40)})
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(
        InputError, match=f"^{re.escape(str(path))}: not a readable feature file"
    ):
        ClipDataset([path], ("visual",), 150)
    np.savez_compressed(path, visual=feats(40).visual)
    with pytest.raises(InputError, match="visual.npy is compressed"):
        ClipDataset([path], ("visual",), 150)


def test_dataset_from_videos_cuts_every_listed_video_and_caches_its_features(
    small_video, tmp_path, capsys
):
    (tmp_path / "videos").mkdir()
    (tmp_path / "videos" / "b.mp4").symlink_to(small_video)
    cfg = RunConfig(
        name="t",
        model=ModelConfig(dim=1024, clip_steps=20, modalities=("visual",)),
        features=FeatureConfig(visual="pixels", audio="mel"),
    )
    data = dataset_from_videos(
        [str(small_video), str(tmp_path / "videos")],
        cfg,
        tmp_path / "cache",
        progress=False,
    )
    assert capsys.readouterr().err == ""
    assert [p.name.split(".")[0] for p in data.files] == [
        "small",
        "b",
    ]  # 48 steps each: clips of 20, 20, 8
    clips = _items(data)["visual"]
    assert clips.shape == (6, 20, 1024) and torch.equal(clips[:3], clips[3:])
    grey = clips[:3].mean(-1).flatten()[:48]  # step i shows grey level 5 * i
    assert grey == pytest.approx(torch.arange(48) * 5 / 255, abs=0.01)
    assert sorted(p.name.split(".")[0] for p in (tmp_path / "cache").iterdir()) == [
        "b",
        "small",
    ]
    dataset_from_videos([str(small_video)], cfg, tmp_path / "cache")
    # by default, one progress bar over the videos
    assert "features: 100%" in capsys.readouterr().err
    empty = [str(tmp_path / "cache"), str(tmp_path / "none")]
    with pytest.raises(
        InputError, match=f"^{re.escape(', '.join(empty))}: no video files found$"
    ):
        dataset_from_videos(empty, cfg, tmp_path / "cache", progress=False)
