"""Table VI: parameters and FLOPs of the paper configuration."""

import json

import torch

from rasl.cli import main
from rasl.config import ModelConfig
from rasl.model import SelfAttention
from rasl.paper.efficiency import count, count_flops


def test_flop_counter_counts_two_flops_per_multiply_add():
    lin = torch.nn.Linear(10, 20, bias=False)
    assert count_flops(lambda: lin(torch.zeros(3, 10))) == 2 * 3 * 10 * 20


def test_self_attention_flops_by_hand():
    n, d = 150, 64
    sa = SelfAttention(d)
    macs = 4 * n * d * d + 2 * n * n * d  # four projections, Q K^T and softmax(.) V
    assert count_flops(lambda: sa(torch.zeros(1, n, d))) == 2 * macs


def test_parameter_count_by_hand():
    cfg = ModelConfig(dim=1024)
    per_branch = (
        4 * 1024**2  # W^Q, W^K, W^V, W^O
        + (1 * 8 * 3 + 8)
        + (8 * 16 * 3 + 16)
        + (16 * 32 * 3 + 32)  # encoder
        + (32 * 32 * 3 + 32)  # psi
        + 32 * 128  # w (bias-free)
        + 2 * (32 * 128 * 8 + 2 * 8)  # W^, W' and their layer norms
        + (32 * 16 * 3 + 16)
        + (16 * 8 * 3 + 8)
        + (8 * 1 * 3 + 1)  # decoder
    )
    assert count(cfg)["params"] == 2 * per_branch + 1  # + Gamma


def test_cli_prints_json_near_table_vi(capsys):
    assert main(["efficiency", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert abs(report["params"] / 1e6 - 8.53) < 0.05  # paper: 8.53 M
    assert abs(report["flops"] / 1e9 - 0.82) < 0.02  # paper: 0.82 G
    assert report["flops_torch"] == 2 * report["flops"]


def test_the_repaired_design_is_counted_too(capsys):
    assert main(["efficiency", "--json", "--design", "repaired"]) == 0
    report = json.loads(capsys.readouterr().out)
    h, d = (
        256,
        1024,
    )  # per branch: SA 4 d^2; E d h + h + h^2 + h; psi h^2 + h; w h; D h^2 + h + h d + d
    per_branch = (
        4 * d * d + (d * h + h + h * h + h) + (h * h + h) + h + (h * h + h + h * d + d)
    )
    # W^, W' with LN; Gamma
    assert report["params"] == 2 * (per_branch + 2 * (h * 8 + 2 * 8)) + 1
