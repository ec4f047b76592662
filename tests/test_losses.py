"""Each loss term of Section III against values computed by hand."""

import math

import pytest
import torch
from torch import nn

from rasl.losses import (
    k_point_contrastive_loss,
    k_point_eta,
    random_step_mask,
    reconstruction_loss,
    symmetric_contrastive_loss,
    top_bottom_k,
    total_loss,
)


def test_reconstruction_loss_is_mean_absolute_error():  # Eq. (5), (10)
    target = torch.tensor([[[1.0, 2.0], [3.0, 4.0]]])
    recon = torch.tensor([[[1.0, 0.0], [0.0, 4.0]]])
    assert reconstruction_loss(target, recon).item() == pytest.approx(
        (0 + 2 + 3 + 0) / 4
    )


def test_top_and_bottom_k_sets_are_sorted_ascending():  # Eq. (6), (7)
    s = torch.tensor([[0.5, 0.1, 0.9, 0.3, 0.7]])
    top, bottom = top_bottom_k(s, 2)
    assert top.tolist() == [[4, 2]]  # 0.7 <= 0.9
    assert bottom.tolist() == [[1, 3]]  # 0.1 <= 0.3


def test_top_and_bottom_k_are_sorted_in_a_full_clip():  # Eq. (6), (7) at N = 150, k = 10
    s = torch.randn(3, 150, generator=torch.Generator().manual_seed(0))
    top, bottom = top_bottom_k(s, 10)
    for idx, expected in (
        (top, s.topk(10).values.flip(-1)),
        (bottom, -(-s).topk(10).values),
    ):
        # the k extreme values, ascending
        assert torch.equal(s.gather(1, idx), expected)


S = torch.tensor([[2.0, 0.0, -1.0, 1.0]])
Z = torch.tensor([[[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]])


def l_r(s, z, k, top, bottom, contrastive=True):
    return k_point_contrastive_loss(
        k_point_eta(s, z, k, nn.Identity(), top, bottom, contrastive)[0]
    )


def test_k_point_contrastive_loss_k1():  # Eq. (8)
    # top: step 0 (s=2), bottom: step 2; cos(z0, z2) = 0 -> eta = 2
    loss = l_r(S, Z, 1, nn.Identity(), nn.Identity())
    assert loss.item() == pytest.approx(-math.log(1 / (1 + math.exp(-2.0))), rel=1e-6)


def test_k_point_contrastive_loss_k2_pairs_in_sorted_order():  # Eq. (8)
    # top ascending: steps 3 (s=1), 0 (s=2); bottom ascending: steps 2 (s=-1), 1 (s=0)
    # pairs (z3, z2): cos = 1/sqrt(2); (z0, z1): cos = 1
    eta = (1.0 * (1 - 1 / math.sqrt(2)) + 2.0 * (1 - 1)) / 2
    loss = l_r(S, Z, 2, nn.Identity(), nn.Identity())
    assert loss.item() == pytest.approx(math.log(1 + math.exp(-eta)), rel=1e-6)


def test_k_point_loss_without_contrastive_uses_mean_top_k():  # Fig. 6 ablation
    loss = l_r(S, Z, 2, nn.Identity(), nn.Identity(), contrastive=False)
    assert loss.item() == pytest.approx(math.log(1 + math.exp(-1.5)), rel=1e-6)


def test_eta_is_one_value_per_clip_and_contrastive_by_default():  # Eq. (8) over a batch
    # two clips: the second's top step is the first's bottom step
    s = torch.cat([S, -S])
    eta, sim = k_point_eta(
        s, Z.expand(2, -1, -1), 1, nn.Identity(), nn.Identity(), nn.Identity()
    )
    assert eta.shape == (2,) and sim is not None
    # clip 2: top step 2 (s=1), bottom 0
    assert eta.tolist() == pytest.approx([2.0 * (1 - 0.0), 1.0 * (1 - 0.0)])
    loss = k_point_contrastive_loss(eta)
    assert loss.item() == pytest.approx(
        (math.log(1 + math.exp(-2.0)) + math.log(1 + math.exp(-1.0))) / 2
    )


def test_k_point_loss_applies_the_projections():
    # a projection that maps every vector onto the same direction makes cos = 1, eta = 0
    same = nn.Linear(2, 2, bias=False)
    same.weight.data = torch.tensor([[1.0, 1.0], [0.0, 0.0]])
    loss = l_r(S, Z.abs() + 1, 1, same, same)
    assert loss.item() == pytest.approx(math.log(2), rel=1e-6)


@pytest.mark.parametrize(
    ("scale", "capped"), [(2.0, 2.0), (100.0, 100.0), (1e4, 100.0)]
)
def test_symmetric_contrastive_loss_by_hand(scale, capped):  # Eq. (9)
    a = torch.tensor([[[1.0, 0.0], [0.0, 1.0]]])
    v = torch.tensor([[[1.0, 0.0], [1.0, 0.0]]])
    # logits exp(Gamma) * [[1, 1], [0, 0]], exp(Gamma) capped at 100 (CLIP)
    gamma = torch.tensor(math.log(scale))
    audio_to_visual = (math.log(2) + math.log(2)) / 2
    visual_to_audio = (
        math.log1p(math.exp(-capped)) + capped + math.log1p(math.exp(-capped))
    ) / 2
    expected = (audio_to_visual + visual_to_audio) / 2
    assert symmetric_contrastive_loss(a, v, gamma).item() == pytest.approx(
        expected, rel=1e-6
    )


def test_symmetric_contrastive_loss_rewards_pairing():
    x = torch.randn(2, 6, 16)
    gamma = torch.tensor(3.1)
    paired = symmetric_contrastive_loss(x, x, gamma)
    shuffled = symmetric_contrastive_loss(x, x[:, torch.randperm(6)], gamma)
    assert paired < shuffled


def test_mask_covers_half_of_the_steps(gen):  # M of Eq. (10)
    mask = random_step_mask(8, 150, 0.5, gen)
    assert mask.shape == (8, 150)
    assert set(mask.unique().tolist()) == {0.0, 1.0}
    assert (mask == 0).sum(1).tolist() == [75] * 8
    assert not torch.equal(mask[0], mask[1])  # drawn per clip
    again = random_step_mask(8, 150, 0.5, torch.Generator().manual_seed(0))
    assert torch.equal(
        again, random_step_mask(8, 150, 0.5, torch.Generator().manual_seed(0))
    )  # the generator decides


def test_total_loss_is_the_sum():  # Eq. (11)
    terms = {"a": torch.tensor(1.5), "b": torch.tensor(0.25), "c": torch.tensor(2.0)}
    assert total_loss(terms).item() == pytest.approx(3.75)


def test_total_loss_weights_only_l_s():  # Eq. (11) with the balance study's weight
    terms = {"L_e/visual": torch.tensor(1.5), "L_s": torch.tensor(2.0)}
    assert total_loss(terms, scl_weight=4.0).item() == pytest.approx(1.5 + 4 * 2.0)
    assert total_loss(terms, scl_weight=0.0).item() == pytest.approx(1.5)
