"""Table VI: parameters and FLOPs of the paper configuration, counted by torch.

Convention (see the implementation notes): the paper's 8.53 M parameters fit the whole
pretraining network (both branches), and its 0.82 G fits the multiply-adds (MACs) of one
branch's forward pass (self-attention, encoder, RASL module and decoder) over one 30-s clip
of 150 x 1024 features, i.e. the visual branch as it runs on one clip. torch's
``FlopCounterMode`` counts 2 FLOPs per multiply-add; we report both.
"""

from __future__ import annotations

import torch
from torch.utils.flop_counter import FlopCounterMode

from rasl.config import ModelConfig
from rasl.model import RASLModel


def count_flops(fn) -> int:
    """FLOPs (2 per multiply-add) of calling ``fn()``, by ``torch.utils.flop_counter``."""
    with FlopCounterMode(display=False) as counter:
        fn()
    return counter.get_total_flops()


@torch.no_grad()
def count(cfg: ModelConfig) -> dict:
    """Parameters of the whole network and FLOPs of the scoring branch on one clip."""
    model = RASLModel(cfg).eval()
    name = cfg.inference_modality
    ae = model.branches[name]
    fvs = {m: torch.zeros(1, cfg.clip_steps, cfg.dim) for m in cfg.modalities}

    def scoring():  # SA -> E -> psi, w, as drawn (the printed design's code folds psi and w)
        r = ae.encode(model.attended(name, fvs))
        return r, ae.w(ae.processed(ae.rows(r))).squeeze(-1)

    def branch_forward():  # ... -> D(s . r), one clip
        r, s = scoring()
        ae.decode(s, r)

    flops = count_flops(branch_forward)
    scoring_flops = count_flops(scoring)
    return {
        "params": sum(p.numel() for p in model.parameters()),
        "params_scoring_branch": sum(p.numel() for p in model.attend[name].parameters())
        + sum(p.numel() for p in ae.parameters()),
        "flops": flops // 2,
        "flops_convention": "multiply-adds (MACs) of one branch forward (SA, encoder, RASL, decoder) on one clip",
        "flops_torch": flops,
        "flops_torch_convention": "torch.utils.flop_counter FLOPs = 2 x multiply-adds",
        "flops_inference_macs": scoring_flops // 2,
        "flops_inference_convention": "MACs of scoring only (SA, encoder, psi, w; no decoder), one clip",
        "params_cover": "the whole pretraining network: SA, autoencoder and RASL module of both branches, and Gamma",
        "input": f"{cfg.clip_steps} x {cfg.dim} per modality",
    }


def count_paper_configuration(design: str = "printed") -> dict:
    """Table VI for the paper's configuration, d_v = d_a = 1024, N = 150, of one design."""
    return count(ModelConfig(dim=1024, design=design))


def format_report(report: dict) -> str:
    return "\n".join(
        [
            f"parameters: {report['params'] / 1e6:.2f} M ({report['params_cover']})",
            f"FLOPs:      {report['flops'] / 1e9:.2f} G ({report['flops_convention']})",
            f"            {report['flops_torch'] / 1e9:.2f} G ({report['flops_torch_convention']})",
            f"inference:  {report['flops_inference_macs'] / 1e9:.2f} G ({report['flops_inference_convention']})",
            "paper (Table VI): 8.53 M parameters, 0.82 G FLOPs",
        ]
    )
