"""rasl: unsupervised, modality-transferable video highlight detection.

A reproduction of "Unsupervised Modality-Transferable Video Highlight Detection with
Representation Activation Sequence Learning" (arXiv 2403.09401). Data flows

    video -> decode -> encoders/features (FVS) -> clips (30 s) -> model -> inference
    (score curve) -> metrics / evaluate / highlights (reels)

and each stage lives in the module of that name. The names below are the public API;
``import rasl`` stays light (torch loads when the first of them is used)::

    import rasl

    curve = rasl.score_video("match.mp4")  # adapts to the video itself, then scores it
    segments = rasl.select_segments(curve.times_s, curve.scores, total_s=20)
    rasl.render_reel("match.mp4", segments, "reel.mp4")

The reproduction of the paper (benchmark runs, tables, the book) is :mod:`rasl.paper`,
which this package never imports.
"""

import importlib

__version__ = "0.1.0"

_API = {  # public name -> the module that defines it
    "RunConfig": "rasl.config",
    "ModelConfig": "rasl.config",
    "FeatureConfig": "rasl.config",
    "TrainConfig": "rasl.config",
    "profile": "rasl.config",
    "InputError": "rasl.files",
    "Features": "rasl.features",
    "extract_features": "rasl.features",
    "ClipSet": "rasl.clips",
    "clip_set": "rasl.clips",
    "dataset_from_videos": "rasl.clips",
    "RASLModel": "rasl.model",
    "pretrain": "rasl.train",
    "load_model": "rasl.train",
    "ScoreCurve": "rasl.inference",
    "score_curve": "rasl.inference",
    "score_video": "rasl.inference",
    "Segment": "rasl.highlights",
    "select_segments": "rasl.highlights",
    "render_reel": "rasl.reel",
}
__all__ = ["__version__", *_API]


def __getattr__(name: str):
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'rasl' has no attribute {name!r}")
