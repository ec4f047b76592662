"""rasl: unsupervised, modality-transferable video highlight detection.

A reproduction of "Unsupervised Modality-Transferable Video Highlight Detection with
Representation Activation Sequence Learning" (arXiv 2403.09401). Data flows

    video -> decode -> encoders/features (FVS) -> clips (30 s) -> model -> inference
    (score curve) -> metrics / evaluate / highlights (reels)

and each stage lives in the module of that name.
"""

__version__ = "0.1.0"
