"""Process set-up: CPU tuning, the processes of a torchrun job, and bfloat16 autocast.

Everything here acts on the process, not on the model: call :func:`configure_cpu` first
thing (the CLI and the scripts do), :func:`distributed` where a job is shared out.
"""

from __future__ import annotations

import ctypes
import os

import torch
import torch.distributed as dist


def configure_cpu() -> None:
    """Process-wide settings that make CPU training and scoring fast; call it first thing,
    before torch's first parallel work.

    - Subnormal floats (< 1.2e-38) flush to zero. A large share of a self-attention
      projection's gradient is subnormal on real clips, and subnormal arithmetic slows
      every CPU step; zero instead changes nothing RMSprop can see (its eps is 1e-8). The
      mode is per thread and torch's worker threads copy it when they start.
    - glibc's malloc keeps the memory it frees (blocks up to 32 MiB from the heap, no
      trimming): a training step allocates and frees some hundred tensors of up to 20 MB,
      which by default each came fresh from the kernel as page faults. PyTorch's CPU
      tuning guide suggests jemalloc or tcmalloc for the same reason. Elsewhere than glibc
      this part is skipped.

    What each saves is measured in the implementation notes ("Speed").
    """
    torch.set_flush_denormal(True)
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return
    m_trim_threshold, m_top_pad, m_mmap_threshold = -1, -2, -3
    mallopt(m_mmap_threshold, 32 << 20)
    mallopt(m_trim_threshold, 2**31 - 1)
    mallopt(m_top_pad, 256 << 20)


def distributed(device: str) -> tuple[int, int]:
    """(rank, world size) of this process. Under torchrun (``WORLD_SIZE`` set) the first call
    joins the process group from the environment (gloo for CPU tensors, NCCL for CUDA ones);
    on CUDA the process's ``LOCAL_RANK`` GPU becomes the current one, the one "cuda" means."""
    cuda = torch.device(device).type == "cuda"
    if cuda and "LOCAL_RANK" in os.environ:
        torch.cuda.set_device(int(os.environ["LOCAL_RANK"]))
    if "WORLD_SIZE" in os.environ and not dist.is_initialized():
        dist.init_process_group("cpu:gloo,cuda:nccl" if cuda else "gloo")
    return (dist.get_rank(), dist.get_world_size()) if dist.is_initialized() else (0, 1)


def rank_and_world() -> tuple[int, int]:
    """This process's share of a job: ``RANK`` and ``WORLD_SIZE`` as torchrun sets them,
    else (0, 1); joins no process group."""
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))


def native_bf16(device: str) -> bool:
    """Whether ``device`` computes in bfloat16 natively, so that bf16 autocast speeds work up
    instead of emulating it: a CUDA GPU with bf16, or a CPU with AVX512-BF16 or AMX
    (oneDNN's bf16 kernels)."""
    if torch.device(device).type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    return (
        torch._C._cpu._is_avx512_bf16_supported()
        or torch._C._cpu._is_amx_tile_supported()
    )


def uses_bf16(device: str, bf16: bool | None) -> bool:
    """A configuration's ``bf16`` setting resolved: None means wherever ``device`` computes
    bf16 natively (:func:`native_bf16`)."""
    return native_bf16(device) if bf16 is None else bf16


def bf16_autocast(device: str, bf16: bool | None) -> torch.autocast:
    """bfloat16 autocast on ``device`` where :func:`uses_bf16` says so, else a no-op context."""
    return torch.autocast(
        torch.device(device).type, torch.bfloat16, enabled=uses_bf16(device, bf16)
    )
