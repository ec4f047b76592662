"""The network of Section III: intramodal self-attention, per-modality conv autoencoders
with the RASL module, and the fusion schemes of Table IV.

Shapes: B clips, N time steps (150), D feature length (1024 for Swin-B), C encoder
channels, L = D / 2^3 the feature axis after the three stride-2 convolutions.

The convolutions run along each time step's feature vector (a 1-channel signal of length
D); time steps mix only in the self-attention. This keeps one representation r_i and one
activation s_i per 0.2-s step, as Eq. (4), (5) and (9) need (see the implementation notes).
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from rasl.config import ModelConfig
from rasl.losses import (
    gather_steps,
    identical_steps,
    k_point_contrastive_loss,
    k_point_eta,
    random_step_mask,
    reconstruction_loss,
    symmetric_contrastive_loss,
)


class SelfAttention(nn.Module):
    """F^m, Eq. (1)-(2): rho + softmax(rho W^Q (rho W^K)^T / sqrt(d)) rho W^V W^O."""

    def __init__(self, dim: int):
        super().__init__()
        self.w_q, self.w_k, self.w_v, self.w_o = (
            nn.Linear(dim, dim, bias=False) for _ in range(4)
        )

    def forward(self, rho: torch.Tensor, keep: torch.Tensor | None = None):
        """(B, N, D) -> (B, N, D).

        With ``keep`` (B, N) of 0/1, also returns F^m(M . rho), the masked pass of Eq. (10),
        as a second tensor. W^Q, W^K, W^V are bias-free, so (M . rho) W = M . (rho W): the
        masked pass reuses the unmasked pass's projections (``_masked``).
        """
        q, k, v = self.w_q(rho), self.w_k(rho), self.w_v(rho)
        out = rho + self.w_o(F.scaled_dot_product_attention(q, k, v))  # Eq. (1)-(2)
        return out if keep is None else (out, self._masked(rho, q, k, v, keep))

    def _masked(self, rho, q, k, v, keep):
        """F^m(M . rho) from the unmasked pass's Q, K, V, attending over the kept steps only.

        A masked step has q = k = v = 0. As a query its logits are all 0, so it attends
        uniformly and gets the same output as every masked step of its clip: the kept
        values summed over N. As a key it adds e^0 = 1 to each softmax denominator and
        nothing to the numerator: one extra key of logit log(#masked) and value 0. So the
        attention runs over the K kept steps and W^O over K + 1 rows a clip instead of N:
        the same function for about half the FLOPs (notes: "Speed").
        """
        b, n, _ = rho.shape
        kept = keep.sum(-1).long()  # (B,)
        width = int(kept.max())  # K; clips with fewer kept steps are padded
        # kept steps first, in order
        idx = keep.argsort(dim=-1, descending=True, stable=True)[:, :width]
        valid = torch.arange(width, device=rho.device) < kept[:, None]  # (B, K)
        q_k, k_k, v_k = (gather_steps(x, idx) for x in (q, k, v))
        pad = q.new_zeros(b, 1, q.shape[-1])
        # 0 / -inf, log #masked
        logit = torch.cat([valid.float().log(), (n - kept[:, None]).float().log()], 1)
        kept_out = F.scaled_dot_product_attention(
            q_k,
            torch.cat([k_k, pad], 1),
            torch.cat([v_k, pad], 1),
            attn_mask=logit[:, None].to(q.dtype),
        )
        masked_out = (v_k * valid[..., None]).sum(1, keepdim=True) / n
        o = self.w_o(torch.cat([kept_out, masked_out], 1))  # (B, K + 1, D)
        # each step's row of o
        row = torch.where(keep > 0, keep.cumsum(-1).long() - 1, width)
        return keep[..., None] * rho + gather_steps(o, row)


class FoldedSelfAttention(nn.Module):
    """F^m of Eq. (1)-(2) for inference, its four products multiplied out into two:
    rho + softmax(rho (W^Q W^K^T) rho^T / sqrt(d)) rho (W^V W^O). The same function with half
    the multiply-adds per step, as a batch norm is folded into a convolution for deployment."""

    def __init__(self, sa: SelfAttention):
        super().__init__()
        with torch.no_grad():  # 1 / sqrt(d) folded in as well
            self.register_buffer(
                "w_qk", sa.w_q.weight.T @ sa.w_k.weight / sa.w_q.in_features**0.5
            )
            self.register_buffer("w_vo", sa.w_v.weight.T @ sa.w_o.weight.T)

    def forward(self, rho: torch.Tensor) -> torch.Tensor:
        attention = torch.softmax((rho @ self.w_qk) @ rho.transpose(1, 2), -1)
        # rho + attention (rho W^V W^O), one call
        return torch.baddbmm(rho, attention, rho @ self.w_vo)


class NoAttention(nn.Module):
    """F^m as the identity ("w/o SA", Table III), with SelfAttention's signature."""

    def forward(self, rho: torch.Tensor, keep: torch.Tensor | None = None):
        return rho if keep is None else (rho, keep[..., None] * rho)


class RowConv1d(nn.Conv1d):
    """A Conv1d along each step's feature vector, run as a unit-height Conv2d on (R, C, 1, L)
    with channels-last weights: oneDNN's fast path for few channels, about twice as fast as
    Conv1d for the whole autoencoder on CPU (``benchmarks/bench_model.py``). Same parameters
    and state dict as Conv1d."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.weight.unsqueeze(2).contiguous(memory_format=torch.channels_last)
        return F.conv2d(x, w, self.bias, (1, self.stride[0]), (0, self.padding[0]))


class RowConvTranspose1d(nn.ConvTranspose1d):
    """ConvTranspose1d as RowConv1d runs Conv1d: unit height, channels-last weights."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.weight.unsqueeze(2).contiguous(memory_format=torch.channels_last)
        return F.conv_transpose2d(
            x,
            w,
            self.bias,
            (1, self.stride[0]),
            (0, self.padding[0]),
            (0, self.output_padding[0]),
        )


def step_rows(r: torch.Tensor) -> torch.Tensor:
    """r (B, N, C, L) -> (B, N, L C): each step's representation as one row, in the (L, C) order
    in which the channels-last convolutions leave it in memory, so a view of ``encode``'s
    output rather than a copy. The order is immaterial to dot products and cosines."""
    return r.transpose(2, 3).flatten(2)


# On a CPU the conv stacks run this many rows (time steps) per call: each layer's output is
# then still in the last-level cache when the next layer, or in the backward pass its
# gradient, reads it (implementation notes, "Speed", item 4).
CPU_ROWS_PER_CALL = 256


def _in_chunks(fn: Callable[..., torch.Tensor], *rows: torch.Tensor) -> torch.Tensor:
    """fn(*rows) for tensors of independent rows (dim 0), on a CPU ``CPU_ROWS_PER_CALL`` rows at a time."""
    if rows[0].device.type != "cpu" or len(rows[0]) <= CPU_ROWS_PER_CALL:
        return fn(*rows)
    return torch.cat(
        [fn(*chunk) for chunk in zip(*(x.split(CPU_ROWS_PER_CALL) for x in rows))]
    )


def _projections(
    cfg: ModelConfig, z_dim: int
) -> tuple[nn.Module | None, nn.Module | None]:
    """W^ and W' of Eq. (8), each followed by the layer normalisation sigma; None without
    k-point contrast."""
    if cfg.k == 0 or not cfg.k_point_contrastive:
        return None, None
    return tuple(
        nn.Sequential(
            nn.Linear(z_dim, cfg.proj_dim, bias=False), nn.LayerNorm(cfg.proj_dim)
        )
        for _ in range(2)
    )


class RASLAutoencoder(nn.Module):
    """One branch's autoencoder E^m / D^m with its RASL module (psi, w, W^, W'), as printed:
    convolutions along each step's feature vector (the ``printed`` design)."""

    def __init__(self, cfg: ModelConfig, dim: int):
        super().__init__()
        widths = (1, *cfg.channels)
        k, pad = cfg.kernel_size, cfg.kernel_size // 2
        self.encoder = nn.Sequential(
            *(
                m
                for c_in, c_out in zip(widths, widths[1:])
                for m in (RowConv1d(c_in, c_out, k, 2, pad), nn.ReLU())
            )
        )
        # ReLU after every layer except the decoder's output: features take both signs, and
        # a final ReLU can leave the whole decoder without gradient at initialisation.
        self.decoder = nn.Sequential(
            *(
                m
                for c_in, c_out in zip(widths[::-1], widths[-2::-1])
                for m in (
                    RowConvTranspose1d(c_in, c_out, k, 2, pad, output_padding=1),
                    nn.ReLU(),
                )
            )
        )[:-1]
        self.length = dim // 2 ** len(cfg.channels)  # L
        self.psi = RowConv1d(cfg.channels[-1], cfg.psi_channels, k, padding=pad)
        z_dim = cfg.psi_channels * self.length
        # the bias-free weighted sum of Eq. (4)
        self.w = nn.Linear(z_dim, 1, bias=False)
        self.project_top, self.project_bottom = _projections(cfg, z_dim)

    def rows(self, r: torch.Tensor) -> torch.Tensor:
        """r (B, N, C, L) -> (B, N, C L): each step's representation as one row."""
        return step_rows(r)

    def encode(self, rho_bar: torch.Tensor) -> torch.Tensor:
        """r = E^m(rho_bar), Eq. (3): (B, N, D) -> (B, N, C, L)."""
        b, n, d = rho_bar.shape
        # (R, 1, 1, D) with channels-last strides, so every layer's output stays channels-last,
        # and r is a view of the last one: no copy (``step_rows`` reads it in that order)
        rows = rho_bar.reshape(b * n, d, 1).transpose(1, 2).unsqueeze(2)
        return _in_chunks(self.encoder, rows).squeeze(2).unflatten(0, (b, n))

    def processed(self, rows: torch.Tensor) -> torch.Tensor:
        """z = psi(r) of Eq. (4) from r's ``step_rows`` (B, K, L C) -> (B, K, Dz), in float32 as
        ``activate``."""
        b, n = rows.shape[:2]
        with torch.autocast(rows.device.type, enabled=False):
            x = (
                rows.float()
                .reshape(b * n, self.length, -1)
                .transpose(1, 2)
                .unsqueeze(2)
            )  # (R, C, 1, L)
            return self.psi(x).reshape(b, n, -1)

    def activate(self, r: torch.Tensor) -> torch.Tensor:
        """s_i = sum_c w_c psi(r_i)[c], Eq. (4): r (B, N, C, L) -> s (B, N).

        Computed as s_i = <psi^T w, r_i> + beta: nothing nonlinear lies between the
        convolution psi and the weighted sum w, so the adjoint convolution applied to w once
        (beta = sum_c b_c sum_l w_c[l]) gives the same s, and the same gradients, for one
        product of length C L per step instead of psi's C_psi C K L. z = psi(r) itself is
        needed only at the 2k steps that Eq. (8) compares (``processed``).

        Always in float32, also under bfloat16 autocast: the steps of a clip differ in s by
        less than bf16's resolution at s's magnitude (a spread of 0.007 around 6 in trained
        runs, where bf16 steps by 0.03), and Eq. (8) ranks and standardises exactly those
        differences.
        """
        with torch.autocast(r.device.type, enabled=False):
            w = self.w.weight.view(1, self.psi.out_channels, self.length)
            weight = F.conv_transpose1d(
                w, self.psi.weight, padding=self.psi.padding[0]
            )[0]  # (C, L)
            return (
                step_rows(r.float()) @ weight.T.flatten()
                + (w[0].sum(-1) * self.psi.bias).sum()
            )

    def decode(self, s: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
        """rho~ = D^m(s . r), Eq. (5): s (B, N), r (B, N, C, L) -> (B, N, D)."""
        b, n = r.shape[:2]
        rows = r.flatten(0, 1).unsqueeze(2)  # (R, C, 1, L)
        return _in_chunks(
            lambda s, x: self.decoder(s[:, None, None, None] * x), s.flatten(), rows
        ).reshape(b, n, -1)


class StepAutoencoder(nn.Module):
    """The ``repaired`` design's E^m / D^m with its RASL module: per-step maps across the
    feature vector instead of convolutions along it, so that r_i mixes the feature
    dimensions of step i (the printed r keeps no map across them, and Eq. (9) cannot pair
    I3D's dimension c with PANN's; implementation notes). Still one r_i and one s_i per
    step; widths (``ModelConfig.hidden``) as in the notes' measurement.

    E: Linear(D, H)-ReLU-Linear(H, H); psi: Linear(H, H); w: bias-free Linear(H, 1);
    D: Linear(H, H)-ReLU-Linear(H, D).
    """

    def __init__(self, cfg: ModelConfig, dim: int):
        super().__init__()
        h = cfg.hidden
        self.encoder = nn.Sequential(nn.Linear(dim, h), nn.ReLU(), nn.Linear(h, h))
        self.decoder = nn.Sequential(nn.Linear(h, h), nn.ReLU(), nn.Linear(h, dim))
        self.psi = nn.Linear(h, h)
        self.w = nn.Linear(h, 1, bias=False)  # the bias-free weighted sum of Eq. (4)
        self.project_top, self.project_bottom = _projections(cfg, h)

    def encode(self, rho_bar: torch.Tensor) -> torch.Tensor:
        """r = E^m(rho_bar), Eq. (3): (B, N, D) -> (B, N, H)."""
        return self.encoder(rho_bar)

    def rows(self, r: torch.Tensor) -> torch.Tensor:
        """r (B, N, H) is already one row per step."""
        return r

    def processed(self, rows: torch.Tensor) -> torch.Tensor:
        """z = psi(r) of Eq. (4): (B, K, H) -> (B, K, H), in float32 as ``activate``."""
        with torch.autocast(rows.device.type, enabled=False):
            return self.psi(rows.float())

    def activate(self, r: torch.Tensor) -> torch.Tensor:
        """s_i = sum_c w_c psi(r_i)[c], Eq. (4): r (B, N, H) -> s (B, N), in float32."""
        return self.w(self.processed(r)).squeeze(-1)

    def decode(self, s: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
        """rho~ = D^m(s . r), Eq. (5): s (B, N), r (B, N, H) -> (B, N, D)."""
        return self.decoder(s[..., None] * r)


AUTOENCODERS = {"printed": RASLAutoencoder, "repaired": StepAutoencoder}


class LowRankFusion(nn.Module):
    """Low-rank bimodal fusion (Ye et al., ICCV 2021, after Liu et al., ACL 2018):
    h = sum_r (W_v^r [v; 1]) * (W_a^r [a; 1])."""

    def __init__(self, dim: int, rank: int):
        super().__init__()
        self.visual = nn.Linear(dim + 1, rank * dim, bias=False)
        self.audio = nn.Linear(dim + 1, rank * dim, bias=False)
        self.rank = rank

    def forward(self, v: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        """(B, N, D) twice -> (B, N, D)."""
        one = v.new_ones(*v.shape[:-1], 1)
        hv = self.visual(torch.cat([v, one], -1)).unflatten(-1, (self.rank, -1))
        ha = self.audio(torch.cat([a, one], -1)).unflatten(-1, (self.rank, -1))
        return (hv * ha).sum(-2)


class MLPFusion(nn.Module):
    """The submodule MLP of MINI-Net (Hong et al., ECCV 2020): MLP([v; a]) -> D."""

    def __init__(self, dim: int):
        super().__init__()
        self.mlp = nn.Sequential(
            nn.Linear(2 * dim, dim), nn.ReLU(), nn.Linear(dim, dim)
        )

    def forward(self, v: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        return self.mlp(torch.cat([v, a], -1))


def _fusion(cfg: ModelConfig) -> tuple[nn.Module | None, int]:
    """Table IV's fusion scheme and the length of the fused feature vectors."""
    if cfg.fusion == "mlp":
        return MLPFusion(cfg.dim), cfg.dim
    if cfg.fusion == "lowrank":
        return LowRankFusion(cfg.dim, cfg.lowrank_rank), cfg.dim
    return None, 2 * cfg.dim if cfg.fusion == "concat" else cfg.dim


class InputMap(nn.Module):
    """P^m, a bias-free linear map of one modality's input rows that F^m reads and whose
    rows Eq. (9) compares in place of r (``ModelConfig.scl_on``; notes: "Two designs", 1.).
    Bias-free, so P^m(M . rho) = M . P^m(rho) and Eq. (10)'s masked pass is unchanged.

    - ``"input"``: P(x) = W x, W (D, D) the identity at start; Eq. (9) compares W x.
    - ``"input_lowrank"``: P(x) = x + B A x, A (R, D) as PyTorch initialises a Linear and
      B (D, R) zero at start; Eq. (9) compares A x, the probe's map (1024 -> 128).
    """

    def __init__(self, dim: int, kind: str, rank: int = 128):
        super().__init__()
        self.map = nn.Linear(dim, dim if kind == "input" else rank, bias=False)
        self.back = None if kind == "input" else nn.Linear(rank, dim, bias=False)
        if self.back is None:
            nn.init.eye_(self.map.weight)
        else:
            nn.init.zeros_(self.back.weight)

    def compared(self, x: torch.Tensor) -> torch.Tensor:
        """The rows Eq. (9) compares: (B, N, D) -> (B, N, D or R)."""
        return self.map(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The rows F^m reads: (B, N, D) -> (B, N, D)."""
        y = self.map(x)
        return y if self.back is None else x + self.back(y)


class RASLModel(nn.Module):
    """The whole pretraining network (Fig. 3); ``score`` is its inference path.

    With ``fusion == "scl"`` each pretrained modality has its own SA and autoencoder and the
    two are tied only by L_s (Eq. 9). With another fusion the self-attended FVS are fused
    and fed to one autoencoder named ``"fused"`` (Table IV).
    """

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.attend = nn.ModuleDict(
            {
                m: SelfAttention(cfg.dim) if cfg.self_attention else NoAttention()
                for m in cfg.modalities
            }
        )
        if cfg.fusion == "scl":
            self.branches = nn.ModuleDict(
                {m: AUTOENCODERS[cfg.design](cfg, cfg.dim) for m in cfg.modalities}
            )
            self.fuse = None
        else:
            self.fuse, fused_dim = _fusion(cfg)
            self.branches = nn.ModuleDict(
                {"fused": AUTOENCODERS[cfg.design](cfg, fused_dim)}
            )
        two_branches = cfg.fusion == "scl" and len(cfg.modalities) == 2
        self.log_temperature = (
            nn.Parameter(torch.tensor(cfg.temperature_init)) if two_branches else None
        )
        # with scl_on != "r", P^m of each modality's rows feeds F^m and Eq. (9) compares
        # its rows in place of r (notes: "Two designs", 1.)
        self.pair = None
        if two_branches and cfg.scl_on != "r":
            self.pair = nn.ModuleDict(
                {m: InputMap(cfg.dim, cfg.scl_on) for m in cfg.modalities}
            )
        # +1 or -1, set after pretraining by rasl.train.orient: the direction of s that
        # rises with a step's difficulty of reconstruction from its context
        self.register_buffer("score_sign", torch.tensor(1.0))

    def attended(
        self, name: str, fvs: dict[str, torch.Tensor], keep: torch.Tensor | None = None
    ):
        """rho_bar fed to autoencoder ``name``: F^m(rho^m), or the fusion of F^v(rho^v) and F^a(rho^a).

        With ``keep`` (B, N), the mask M of Eq. (10), also returns the rho_bar of the masked
        FVS as a second tensor.
        """
        if name != "fused":
            return self._attend(name, fvs[name], keep)
        v, a = (
            self._attend("visual", fvs["visual"], keep),
            self._attend("audio", fvs["audio"], keep),
        )
        if keep is None:
            return self._fuse(v, a)
        return self._fuse(v[0], a[0]), self._fuse(v[1], a[1])

    def _attend(self, m: str, x: torch.Tensor, keep: torch.Tensor | None):
        """F^m(rho^m), and with ``keep`` also F^m(M . rho^m); rho^m is P^m's rows where
        there is a P^m (``scl_on != "r"``)."""
        if self.pair is not None:
            x = self.pair[m](x)
        return self.attend[m](x) if keep is None else self.attend[m](x, keep)

    def _fuse(self, v: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        if self.cfg.fusion == "sum":
            return v + a
        if self.cfg.fusion == "concat":
            return torch.cat([v, a], -1)
        return self.fuse(v, a)

    def target(self, name: str, fvs: dict[str, torch.Tensor]) -> torch.Tensor:
        """What autoencoder ``name`` reconstructs: its own FVS; for a fused branch the
        concatenated FVS (concat) or their mean (the other schemes), a fixed target that a
        learned fusion cannot collapse."""
        if name != "fused":
            return fvs[name]
        if self.cfg.fusion == "concat":
            return torch.cat([fvs["visual"], fvs["audio"]], -1)
        return (fvs["visual"] + fvs["audio"]) / 2

    def losses(
        self,
        fvs: dict[str, torch.Tensor],
        generator: torch.Generator | None = None,
        stats: dict[str, torch.Tensor] | None = None,
    ) -> dict[str, torch.Tensor]:
        """Algorithm 1, lines 4-12: every active loss term for a batch of clips.

        fvs: modality -> (B, N, D). Returns e.g. {"L_e/visual", "L_r/visual", "L_au/visual",
        ..., "L_s"}; Eq. (11) sums them (``rasl.losses.total_loss``). A ``stats`` dict is
        filled with what the losses see, per branch: eta of Eq. (8), the mean and spread of
        s over each clip, and the mean top/bottom-k similarity.
        """
        cfg, terms, reps = self.cfg, {}, {}
        x0 = next(iter(fvs.values()))
        if cfg.auxiliary:  # M of Eq. (10)
            keep = random_step_mask(*x0.shape[:2], cfg.mask_ratio, generator).to(
                x0.device
            )
        for name, ae in self.branches.items():
            target = self.target(name, fvs)
            if cfg.auxiliary:
                rho_bar, rho_bar_masked = self.attended(name, fvs, keep)
            else:
                rho_bar = self.attended(name, fvs)
            r = ae.encode(rho_bar)
            s = ae.activate(r)
            terms[f"L_e/{name}"] = reconstruction_loss(target, ae.decode(s, r))
            if cfg.k > 0:
                eta, sim = k_point_eta(
                    s,
                    ae.rows(r),
                    cfg.k,
                    ae.processed,
                    ae.project_top,
                    ae.project_bottom,
                    cfg.k_point_contrastive,
                    cfg.standardise_eta,
                )
                terms[f"L_r/{name}"] = k_point_contrastive_loss(eta)
            if cfg.auxiliary:
                r_masked = ae.encode(rho_bar_masked)
                terms[f"L_au/{name}"] = reconstruction_loss(
                    target, ae.decode(s, r_masked)
                )
            reps[name] = ae.rows(r)
            # 0-d tensors, read once per step by the caller (one device sync)
            if stats is not None:
                stats[f"s_mean/{name}"] = s.detach().mean()
                stats[f"s_std/{name}"] = s.detach().std(-1).mean()
                if cfg.k > 0:
                    stats[f"eta/{name}"] = eta.detach().mean()
                    if sim is not None:
                        stats[f"sim/{name}"] = sim.detach().mean()
        if self.log_temperature is not None:
            same = identical_steps(fvs) if cfg.scl_skip_duplicates else None
            if self.pair is not None:  # P^m's rows, centred over the clip
                reps = {m: self.pair[m].compared(fvs[m]) for m in reps}
            terms["L_s"] = symmetric_contrastive_loss(
                reps["audio"],
                reps["visual"],
                self.log_temperature,
                centre=self.pair is not None,
                same=same,
            )
        return terms

    def for_inference(self) -> RASLModel:
        """A copy for scoring only (``score``, ``reconstruction_error``), in eval mode, with each
        self-attention folded (FoldedSelfAttention: half the multiply-adds of Eq. (1)-(2))."""
        folded = copy.deepcopy(self).eval().requires_grad_(False)
        for m, sa in folded.attend.items():
            if isinstance(sa, SelfAttention):
                folded.attend[m] = FoldedSelfAttention(sa)
        return folded

    def score(self, fvs: dict[str, torch.Tensor]) -> torch.Tensor:
        """Inference: the activation sequence s of the scoring branch, (B, N), oriented
        (``score_sign``, set by :func:`rasl.train.orient`).

        Only the inputs of ``cfg.inference_modality`` are read: the visual FVS alone for a
        model pretrained with both modalities (Section III-D).
        """
        name = self.cfg.inference_modality
        ae = self.branches[name]
        rho_bar = self.attended(name, fvs)
        # steps are independent from here on: encode and read out a chunk of steps at a time,
        # so that r (20 MB a batch in the paper configuration) is never assembled
        steps = rho_bar.flatten(0, 1).unsqueeze(1)  # (B N, 1, D)
        s = _in_chunks(lambda x: ae.activate(ae.encode(x)), steps)
        return self.score_sign * s.view(rho_bar.shape[:2])

    def context_error(
        self, fvs: dict[str, torch.Tensor], keep: torch.Tensor
    ) -> torch.Tensor:
        """The scoring branch's per-step error of reconstruction from context: (B, N).

        The FVS masked by ``keep`` (B, N) (M of Eq. 10) goes through the branch, and each
        step is rebuilt as D(s . r) from the masked pass's own r and s, so nothing of a
        masked step's input enters its reconstruction; the error |rho_i - rho~_i| is
        averaged over features. Only the masked steps' errors measure context.
        """
        name = self.cfg.inference_modality
        ae = self.branches[name]
        r = ae.encode(self.attended(name, fvs, keep)[1])
        return (self.target(name, fvs) - ae.decode(ae.activate(r), r)).abs().mean(-1)
