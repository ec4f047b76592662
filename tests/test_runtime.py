"""Process set-up: CPU tuning measured in real processes, bf16 autocast resolved per device."""

import subprocess
import sys

import pytest
import torch

from rasl.config import TrainConfig
from rasl.runtime import bf16_autocast


@pytest.mark.parametrize(
    "bf16, native, expected",
    [
        (None, True, True),
        (None, False, False),
        (True, False, True),
        (False, True, False),
    ],
)
def test_bf16_unset_follows_the_hardware(monkeypatch, bf16, native, expected):
    monkeypatch.setattr("rasl.runtime.native_bf16", lambda device: native)
    ctx = bf16_autocast(TrainConfig(bf16=bf16).device, bf16)
    assert ctx.fast_dtype == torch.bfloat16 and ctx._enabled is expected


FLUSH_CHECK = """
import sys, torch
from rasl.runtime import configure_cpu
if sys.argv[1] == "flush":
    configure_cpu()
torch.set_num_threads(2)
tiny = torch.full((1 << 22,), 1e-39)  # subnormal; large enough to run on every worker thread
print((tiny * 1.0).count_nonzero().item())
"""


@pytest.mark.parametrize("mode", ["flush", "keep"])
def test_configure_cpu_flushes_subnormals_in_the_worker_threads(mode):
    out = subprocess.run(
        [sys.executable, "-c", FLUSH_CHECK, mode],
        capture_output=True,
        text=True,
        check=True,
    )
    assert int(out.stdout) == (0 if mode == "flush" else 1 << 22)


MALLOC_CHECK = """
import resource, sys, torch
from rasl.config import ModelConfig
from rasl.losses import total_loss
from rasl.model import RASLModel
from rasl.runtime import configure_cpu
if sys.argv[1] == "configured":
    configure_cpu()
torch.set_num_threads(1)  # one heap: worker threads' arenas make the count vary from run to run
torch.manual_seed(0)
model = RASLModel(ModelConfig(dim=1024))  # the paper configuration, two clips
opt = torch.optim.RMSprop(model.parameters())
x = {m: torch.rand(2, 150, 1024) for m in ("visual", "audio")}
def step():
    opt.zero_grad()
    total_loss(model.losses(x)).backward()
    opt.step()
step(), step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
step(), step(), step()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc only")
def test_configure_cpu_keeps_freed_memory_for_the_next_step():
    faults = {
        mode: int(
            subprocess.run(
                [sys.executable, "-c", MALLOC_CHECK, mode],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        for mode in ("configured", "default")
    }
    # by default each step faults in thousands of fresh pages (43k-122k in 6 runs)
    assert faults["default"] > 20_000
    # configured, it mostly reuses what the last step freed
    assert faults["configured"] < faults["default"] / 3
    # (0 to 8k in the same 6 runs: where glibc places the heap still varies)
