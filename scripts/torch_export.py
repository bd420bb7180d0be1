"""Shared by the training scripts: a trained conv + batch-norm pair as the numpy layer's weights."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


def fold_conv_bn(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> tuple[np.ndarray, np.ndarray]:
    """Batch-norm folded into the convolution; weight rows ordered (ky, kx, in) like the shifted
    copies that ``nets.conv3x3_relu`` stacks (NHWC), one column per output channel."""
    gain = (bn.weight / torch.sqrt(bn.running_var + bn.eps)).detach()
    w = conv.weight.detach() * gain[:, None, None, None]  # (out, in, 3, 3)
    b = (bn.bias - bn.running_mean * gain).detach()
    return w.permute(2, 3, 1, 0).reshape(-1, w.shape[0]).numpy(), b.numpy()
