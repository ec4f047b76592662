"""The loss terms of Section III, one function per equation.

Shapes: B clips, N time steps, D feature length, Dz/Dr flattened representation length.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F


def reconstruction_loss(target: torch.Tensor, recon: torch.Tensor) -> torch.Tensor:
    """L1 reconstruction, Eq. (5) (L_e) and Eq. (10) (L_au): mean |rho - rho~| over (B, N, D)."""
    return (target - recon).abs().mean()


def top_bottom_k(s: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Index sets Phi^k (Eq. 6) and Pi^k (Eq. 7) of the k largest and k smallest activations.

    s: (B, N) -> two (B, k) index tensors, each ordered by ascending activation as the
    equations state (s_{l_i} <= s_{l_{i+1}}), so top[:, i] pairs with bottom[:, i] in Eq. (8).
    """
    top = s.topk(k, dim=-1, largest=True, sorted=True).indices.flip(-1)
    bottom = s.topk(k, dim=-1, largest=False, sorted=True).indices
    return top, bottom


def gather_steps(x: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """x (B, N, F), idx (B, k) -> (B, k, F): the steps idx of each clip."""
    return x.gather(1, idx.unsqueeze(-1).expand(-1, -1, x.shape[-1]))


def k_point_eta(
    s: torch.Tensor,
    r: torch.Tensor,
    k: int,
    process: Callable[[torch.Tensor], torch.Tensor],
    project_top: torch.nn.Module,
    project_bottom: torch.nn.Module,
    contrastive: bool = True,
    standardise: bool = False,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """eta of Eq. (8) per clip, (B,), and the top/bottom similarities (B, k) (None without contrast).

    s: (B, N) activations; r: (B, N, Dr) representations, and ``process`` psi of Eq. (4),
    z = psi(r), applied only at the top-k (z^) and bottom-k (z') steps, the only ones Eq. (8)
    reads. With ``contrastive`` eta = mean_i s^_i [1 - cos(LN(W^ z^_i), LN(W' z'_i))];
    without it (the Fig. 6 ablation) eta = mean_i s^_i.
    ``project_top``/``project_bottom`` are W^ and W' followed by layer normalisation.
    ``standardise`` takes s^ from the clip's standardised activations (zero mean, unit
    variance over its N steps), so eta cannot grow by an offset or a scale of s alone.
    """
    top, bottom = top_bottom_k(s, k)
    if standardise:
        s = (s - s.mean(-1, keepdim=True)) / s.std(-1, keepdim=True).clamp_min(1e-6)
    s_top = s.gather(1, top)  # (B, k)
    if not contrastive:
        return s_top.mean(-1), None
    # one gather: one scatter back
    z_top, z_bottom = process(gather_steps(r, torch.cat([top, bottom], 1))).split(k, 1)
    # (B, k)
    sim = F.cosine_similarity(project_top(z_top), project_bottom(z_bottom), dim=-1)
    return (s_top * (1 - sim)).mean(-1), sim


def k_point_contrastive_loss(eta: torch.Tensor) -> torch.Tensor:
    """L_r of Eq. (8): -log(1 / (1 + e^-eta)) = softplus(-eta), averaged over the batch."""
    return F.softplus(-eta).mean()


def symmetric_contrastive_loss(
    r_audio: torch.Tensor,
    r_visual: torch.Tensor,
    log_temperature: torch.Tensor,
    centre: bool = False,
    same: torch.Tensor | None = None,
) -> torch.Tensor:
    """L_s of Eq. (9), read as CLIP's symmetric contrastive loss within each clip.

    r_audio, r_visual: (B, N, Dr). Logits_ij = exp(Gamma) * cos(r^a_i, r^v_j) for the N steps
    of a clip; the paired step (j = i) is the positive, every other step a negative, and the
    cross-entropy is taken in both directions (audio->visual, visual->audio) and averaged.
    Gamma is a log-scale, clamped so that exp(Gamma) <= 100 as in CLIP.

    ``centre`` subtracts each clip's mean representation (over its N steps) before the
    cosine: the ReLU-ed maps of Eq. (3) share a large positive component that otherwise
    makes every pair's cosine ~1. ``same`` (B, N, N) marks pairs of steps whose inputs are
    identical (a clip tiled from a short video); they are removed from the negatives.
    """
    if centre:
        r_audio = r_audio - r_audio.mean(1, keepdim=True)
        r_visual = r_visual - r_visual.mean(1, keepdim=True)
    # cos(a_i, v_j) = a_i . v_j / (|a_i| |v_j|), the norms applied to the (N, N) products rather
    # than to the (N, Dr) rows: the same logits for a fifth of the work (backward included)
    inv_a = 1 / r_audio.norm(dim=-1).clamp_min(1e-12)
    inv_v = 1 / r_visual.norm(dim=-1).clamp_min(1e-12)
    cos = r_audio @ r_visual.transpose(1, 2) * inv_a[:, :, None] * inv_v[:, None, :]
    logits = log_temperature.exp().clamp(max=100.0) * cos  # (B, N, N)
    b, n, _ = logits.shape
    if same is not None:
        logits = logits.masked_fill(
            same & ~torch.eye(n, dtype=torch.bool, device=logits.device), float("-inf")
        )
    target = torch.arange(n, device=logits.device).repeat(b)
    loss_a = F.cross_entropy(logits.reshape(b * n, n), target)
    loss_v = F.cross_entropy(logits.transpose(1, 2).reshape(b * n, n), target)
    return (loss_a + loss_v) / 2


def identical_steps(fvs: dict[str, torch.Tensor]) -> torch.Tensor:
    """(B, N, N) True where steps i and j of a clip have identical inputs in every modality."""
    same = None
    for x in fvs.values():
        ids = torch.unique(x.flatten(0, 1), dim=0, return_inverse=True)[1].view(
            x.shape[:2]
        )  # one id per distinct row
        eq = ids[:, :, None] == ids[:, None, :]
        same = eq if same is None else same & eq
    return same


def random_step_mask(
    b: int, n: int, ratio: float, generator: torch.Generator | None = None
) -> torch.Tensor:
    """M of Eq. (10): (B, N) of 0/1 with exactly round(ratio * N) masked (0) steps per clip."""
    ranks = torch.rand(b, n, generator=generator).argsort(-1).argsort(-1)
    return (ranks >= round(ratio * n)).float()


def total_loss(terms: dict[str, torch.Tensor], scl_weight: float = 1.0) -> torch.Tensor:
    """L_total of Eq. (11): the sum of every active term (L_e, L_r, L_au per modality, L_s),
    L_s times ``scl_weight`` (1 as printed: the plain sum)."""
    return torch.stack(
        [v * scl_weight if k == "L_s" else v for k, v in terms.items()]
    ).sum()
