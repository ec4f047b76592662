"""Dataset layouts: the real TVSum and YouTube Highlights annotation files and their counts."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from rasl.data import TVSUM_CATEGORIES, YOUTUBE_DOMAINS, load_tvsum, load_youtube
from rasl.files import InputError, list_videos

TEST_SIZES = {
    "dog": 25,
    "gymnastics": 36,
    "parkour": 27,
    "skating": 24,
    "skiing": 41,
    "surfing": 43,
}


def test_list_videos(videos_dir):
    videos = list_videos(videos_dir)
    assert len(videos) == 11 and videos == sorted(videos)
    assert list_videos(videos[0]) == [videos[0]]


def test_tvsum_counts(tvsum):
    assert len(tvsum) == 50
    assert Counter(v.category for v in tvsum) == {c: 5 for c in TVSUM_CATEGORIES}
    assert all(v.user_anno.shape[0] == 20 for v in tvsum)
    assert sum(v.user_anno.shape[1] for v in tvsum) == 352_353
    assert set(np.unique(np.concatenate([np.unique(v.user_anno) for v in tvsum]))) == {
        1,
        2,
        3,
        4,
        5,
    }
    first = tvsum[0]
    assert (first.video_id, first.category, first.duration_s) == (
        "AwmHb44_ouw",
        "VT",
        pytest.approx(353.593),
    )


def test_tvsum_segments(tvsum):
    for v in tvsum:
        spans = v.clip_spans_s()
        assert spans.shape == (v.n_clips, 2) and v.segment_scores.shape == (
            20,
            v.n_clips,
        )
        # up to the last frame
        assert spans[0, 0] == 0 and 0 <= v.duration_s - spans[-1, 1] < 1 / v.fps
        assert (
            np.allclose(spans[1:, 0], spans[:-1, 1])
            and (np.diff(spans, axis=1) > 0).all()
        )
        # the last segment holds a frame
        assert (v.user_anno.shape[1] - 1) / v.fps >= spans[-1, 0]
    v = tvsum[0]  # 353.593 s: 176 full segments and one of 1.593 s
    assert v.n_clips == 177
    # the first segment's score is each annotator's rating of the first shot (frame 0)
    assert (v.segment_scores[:, 0] == v.user_anno[:, 0]).all()


def test_tvsum_tsv_layout_matches_mat(tvsum, tmp_path):
    """The .tsv release format: anno rows per annotator, info with an m:ss length."""
    picked = tvsum[:2]
    with open(tmp_path / "ydata-tvsum50-anno.tsv", "w") as f:
        for v in picked:
            for row in v.user_anno.astype(int):
                f.write(f"{v.video_id}\t{v.category}\t{','.join(map(str, row))}\n")
    with open(tmp_path / "ydata-tvsum50-info.tsv", "w") as f:
        f.write("category\tvideo_id\ttitle\turl\tlength\n")
        for v in picked:
            minutes, seconds = divmod(v.duration_s, 60)
            f.write(
                f"{v.category}\t{v.video_id}\t{v.title}\thttp://x\t{int(minutes)}:{seconds:06.3f}\n"
            )
    loaded = load_tvsum(tmp_path).videos
    assert [v.video_id for v in loaded] == [v.video_id for v in picked]
    for a, b in zip(loaded, picked):
        assert a.title == b.title and a.duration_s == pytest.approx(b.duration_s)
        assert (a.user_anno == b.user_anno).all()


def test_tvsum_bad_folders(tmp_path):
    with pytest.raises(InputError, match="no ydata-tvsum50.mat"):
        load_tvsum(tmp_path)
    (tmp_path / "ydata-tvsum50.mat").write_text("not matlab")
    with pytest.raises(InputError, match="ydata-tvsum50.mat"):
        load_tvsum(tmp_path)


def test_youtube_test_split(youtube_root):
    videos = load_youtube(youtube_root).videos
    assert Counter(v.category for v in videos) == TEST_SIZES
    assert [v.category for v in videos] == sorted(
        (v.category for v in videos), key=YOUTUBE_DOMAINS.index
    )
    assert {v.split for v in videos} == {"TestTightL", "TestLooseL"}
    # youtube_anno.json covers 149 of 196
    assert sum(v.fps is not None for v in videos) == 149
    for v in videos:
        assert v.clip_frames.shape == (v.n_clips, 2) and set(np.unique(v.labels)) <= {
            -1,
            0,
            1,
        }
        assert (v.labels == 1).any()  # every test video has a matched clip
    timed = next(v for v in videos if v.fps is not None)
    assert np.allclose(timed.clip_spans_s() * timed.fps, timed.clip_frames)
    with pytest.raises(ValueError, match="frame rate"):
        next(v for v in videos if v.fps is None).clip_spans_s()


def test_youtube_other_splits(youtube_root):
    assert len(load_youtube(youtube_root, "all").videos) == 550
    assert len(load_youtube(youtube_root, "train").videos) == 354
    selected = load_youtube(youtube_root, "all", selected=True).videos
    assert (
        len(selected) == 413
        and Counter(
            v.category for v in load_youtube(youtube_root, selected=True).videos
        )
        == TEST_SIZES
    )
    with pytest.raises(
        ValueError, match="split must be .test., .train. or .all., got .val."
    ):
        load_youtube(youtube_root, "val")


def test_missing_videos_are_reported_and_skipped(
    tvsum, youtube_root, videos_dir, data_root, tmp_path
):
    real = videos_dir / "chaplin.mp4"  # 25 fps
    no_fps = next(v for v in load_youtube(youtube_root).videos if v.fps is None)
    (tmp_path / f"{no_fps.video_id}.mp4").symlink_to(real)
    (tmp_path / f"{tvsum[3].video_id}.mp4").symlink_to(real)
    with pytest.warns(UserWarning, match="195 of 196"):
        loaded = load_youtube(youtube_root, video_dir=tmp_path)
    assert [v.video_id for v in loaded.videos] == [no_fps.video_id] and len(
        loaded.missing
    ) == 195
    assert loaded.videos[0].fps == pytest.approx(25.0)  # read from the file
    with pytest.warns(UserWarning, match="49 of 50"):
        loaded = load_tvsum(data_root / "tvsum", video_dir=tmp_path)
    assert (
        loaded.videos[0].path.name == f"{tvsum[3].video_id}.mp4"
        and tvsum[3].video_id not in loaded.missing
    )


def test_youtube_bad_files(tmp_path):
    for domain in YOUTUBE_DOMAINS:
        (tmp_path / domain).mkdir()
        (tmp_path / domain / "vlist.json").write_text(json.dumps([[[], "TestTightL"]]))
    (tmp_path / "dog" / "vlist.json").write_text(json.dumps([[["abc"], "TestLooseL"]]))
    (tmp_path / "dog" / "abc").mkdir()
    label = tmp_path / "dog" / "abc" / "match_label.json"
    label.write_text("[[[0, 100]], [1")
    with pytest.raises(InputError, match="match_label.json: not valid JSON"):
        load_youtube(tmp_path)
    label.write_text(json.dumps([[[0, 100], [50, 150]], [1, 2]]))
    with pytest.raises(InputError, match="labels must be"):
        load_youtube(tmp_path)
    label.write_text(json.dumps([[[0, 100], [50, 150]], [1, -1]]))
    # no clip.json: the clips of match_label.json
    video = load_youtube(tmp_path).videos[0]
    assert video.fps is None and video.clip_frames.tolist() == [[0, 100], [50, 150]]
    (tmp_path / "dog" / "vlist.json").unlink()
    with pytest.raises(InputError, match="vlist.json"):
        load_youtube(tmp_path)
