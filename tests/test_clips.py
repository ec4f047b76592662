"""30-s clips: cutting with repeat-fill and stitching back (Section III-F)."""

import warnings

import numpy as np
import pytest
import torch

from rasl.clips import clip_set, cut_clips, stitch
from rasl.features import Features


def steps(t, d=2):
    return torch.arange(t, dtype=torch.float32)[:, None].repeat(1, d)  # step i holds value i


@pytest.mark.parametrize("t, lengths", [(1, [1]), (149, [149]), (150, [150]), (151, [150, 1]), (1000, [150] * 6 + [100])])
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
    with pytest.raises(ValueError):
        cut_clips(torch.zeros(0, 4))


def feats(t, audio=True):
    v = np.random.default_rng(t).random((t, 8), dtype=np.float32)
    return Features(visual=v, audio=v.copy() if audio else None, duration_s=t * 0.2, meta={})


def test_clip_set_skips_videos_without_audio_only_when_audio_is_pretrained():
    videos = {"a.mp4": feats(200), "silent.mp4": feats(40, audio=False)}
    with pytest.warns(UserWarning, match="1 of 2 videos have no audio track .*: silent.mp4"):
        both = clip_set(videos, ("visual", "audio"), 150)
    assert both.sources == ["a.mp4", "a.mp4"] and both.fvs["audio"].shape == (2, 150, 8)
    assert both.skipped == ["silent.mp4"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing left out, nothing to report
        visual = clip_set(videos, ("visual",), 150)
    assert visual.sources == ["a.mp4", "a.mp4", "silent.mp4"] and set(visual.fvs) == {"visual"}
    assert visual.skipped == []
