"""Fixtures of the hardening tests (test/hardening.test.ts, issue #14), from PyTorch 1.13.

Run with /usr/bin/python3 (torch 1.13); writes test/fixtures/hardening.json:
  - numerics: 0·Inf and −0 through conv2d, conv_transpose2d and interpolate (values as strings
    'nan', 'inf', '-0' so that JSON keeps them);
  - bicubicWeights: PyTorch's bicubic weights, bit for bit (one-hot inputs), and the CPU capability
    its kernels ran with (AVX2 here; its DEFAULT build rounds some weights differently);
  - bicubicSigns: every ±0 sign pattern of small inputs through 'bicubic', where PyTorch gives −0;
  - backwardSigns: interpolate's input gradient of a ±0 gradient, every mode;
  - empty batches with huge spatial sizes: the output shapes PyTorch gives;
  - nonFiniteWeights: Inf and NaN weights through transposed convolutions and convolutions (outputs
    and input gradients), where only a convolution multiplies its zero padding.
"""
import json
import math
import os

import torch
import torch.nn.functional as F


def enc(t):
    out = []
    for v in t.flatten().tolist():
        if math.isnan(v):
            out.append('nan')
        elif math.isinf(v):
            out.append('inf' if v > 0 else '-inf')
        elif v == 0 and math.copysign(1.0, v) < 0:
            out.append('-0')
        else:
            out.append(v)
    return out


numerics = []
x = torch.zeros(1, 1, 5, 5)
x[0, 0, 2, 2] = float('inf')
w = torch.zeros(1, 1, 3, 3)
numerics.append({'op': 'conv2d', 'input': enc(x), 'inputShape': list(x.shape), 'weightShape': [1, 1, 3, 3],
                 'options': {}, 'output': enc(F.conv2d(x, w)), 'outputShape': list(F.conv2d(x, w).shape)})
yt = F.conv_transpose2d(x, w, stride=2)
numerics.append({'op': 'convTranspose2d', 'input': enc(x), 'inputShape': list(x.shape), 'weightShape': [1, 1, 3, 3],
                 'options': {'stride': 2}, 'output': enc(yt), 'outputShape': list(yt.shape)})
z = torch.full((1, 2, 4), -0.0)
z[0, 1, 1] = 1.5
for mode, size, ac in [('nearest', [7], None), ('nearest-exact', [5], None), ('linear', [7], True),
                       ('linear', [3], False), ('area', [2], None), ('area', [3], None), ('area', [4], None),
                       ('area', [8], None)]:
    kw = {} if ac is None else {'align_corners': ac}
    y = F.interpolate(z, size=size, mode=mode, **kw)
    opts = {'size': size, 'mode': mode}
    if ac is not None:
        opts['alignCorners'] = ac
    numerics.append({'op': 'interpolate', 'input': enc(z), 'inputShape': list(z.shape), 'options': opts,
                     'output': enc(y), 'outputShape': list(y.shape)})
z2 = torch.full((1, 1, 3, 3), -0.0)
for mode, ac in [('bilinear', True), ('bilinear', False), ('bicubic', True), ('nearest', None), ('area', None)]:
    kw = {} if ac is None else {'align_corners': ac}
    y = F.interpolate(z2, size=[5, 4], mode=mode, **kw)
    opts = {'size': [5, 4], 'mode': mode}
    if ac is not None:
        opts['alignCorners'] = ac
    numerics.append({'op': 'interpolate', 'input': enc(z2), 'inputShape': list(z2.shape), 'options': opts,
                     'output': enc(y), 'outputShape': list(y.shape)})

# The sign of zero through 'bicubic' (issue #14, item 6): every sign pattern of ±0 inputs of a few
# small shapes, resampled to sizes whose source positions PyTorch computes in float32 (align corners,
# scale factors), kept where PyTorch gives at least one −0 (plus the all −0 and all +0 inputs); and
# the backward pass of every mode with a gradient of ±0 (PyTorch accumulates into a zeroed gradient).
import itertools
signs = []
configs = [({'size': [5, 4], 'alignCorners': True}, dict(size=[5, 4], align_corners=True)),
           ({'size': [7, 3], 'alignCorners': True}, dict(size=[7, 3], align_corners=True)),
           ({'size': [4, 4], 'alignCorners': False}, dict(size=[4, 4], align_corners=False)),
           ({'size': [3, 5], 'alignCorners': False}, dict(size=[3, 5], align_corners=False)),
           ({'size': [1, 2], 'alignCorners': True}, dict(size=[1, 2], align_corners=True)),
           ({'scaleFactor': [1.7, 2.5]}, dict(scale_factor=[1.7, 2.5], align_corners=False)),
           ({'scaleFactor': [3.0, 0.7]}, dict(scale_factor=[3.0, 0.7], align_corners=False))]
for shape in [(2, 2), (2, 3), (3, 3)]:
    n = shape[0] * shape[1]
    for opts, kw in configs:
        if 'scaleFactor' in opts and any(int(a * f) < 1 for a, f in zip(shape, opts['scaleFactor'])):
            continue
        for bits in itertools.product([0, 1], repeat=n):
            x = torch.tensor([-0.0 if b else 0.0 for b in bits]).reshape(1, 1, *shape)
            y = F.interpolate(x, mode='bicubic', **kw)
            if all(b == bits[0] for b in bits) or '-0' in enc(y):
                o = dict(opts, mode='bicubic')
                signs.append({'op': 'interpolate', 'input': enc(x), 'inputShape': list(x.shape), 'options': o,
                              'output': enc(y), 'outputShape': list(y.shape)})
# PyTorch's bicubic weights themselves, bit for bit: a one-hot input row i resampled along the
# width gives, at output o, the weight of input i (border taps that repeat an index add up).
weights = []
for n_in in [3, 4, 5, 7, 10]:
    eye = torch.eye(n_in).reshape(n_in, 1, 1, n_in)
    for n_out in [2, 3, 4, 5, 8, 9, 13, 17, 31]:
        for ac in [True, False]:
            y = F.interpolate(eye, size=[1, n_out], mode='bicubic', align_corners=ac)
            weights.append({'inSize': n_in, 'options': {'size': [1, n_out], 'mode': 'bicubic', 'alignCorners': ac},
                            'weights': enc(y[:, 0, 0, :])})
    for sf in [1.7, 2.5, 0.6, 3.3]:
        y = F.interpolate(eye, scale_factor=[1, sf], mode='bicubic', align_corners=False)
        weights.append({'inSize': n_in, 'options': {'scaleFactor': [1, sf], 'mode': 'bicubic'},
                        'weights': enc(y[:, 0, 0, :])})
capability = next((l.split(':')[1].strip() for l in torch.__config__.show().splitlines()
                   if 'CPU capability usage' in l), 'unknown')
backward = []
g = torch.Generator().manual_seed(14)
for mode, kw, opts in [('nearest', dict(size=[3, 5]), {'size': [3, 5]}),
                       ('nearest', dict(size=[2, 2]), {'size': [2, 2]}),
                       ('bilinear', dict(size=[3, 5], align_corners=False), {'size': [3, 5], 'alignCorners': False}),
                       ('bilinear', dict(size=[2, 2], align_corners=True), {'size': [2, 2], 'alignCorners': True}),
                       ('bicubic', dict(size=[5, 4], align_corners=True), {'size': [5, 4], 'alignCorners': True}),
                       ('bicubic', dict(size=[2, 5], align_corners=False), {'size': [2, 5], 'alignCorners': False}),
                       ('area', dict(size=[2, 5]), {'size': [2, 5]})]:
    for pattern in ['all -0', 'random ±0']:
        x = torch.zeros(1, 1, 3, 3, requires_grad=True)
        y = F.interpolate(x, mode=mode, **kw)
        if pattern == 'all -0':
            go = torch.full(y.shape, -0.0)
        else:
            go = torch.where(torch.rand(y.shape, generator=g) < 0.5, torch.tensor(-0.0), torch.tensor(0.0))
        y.backward(go)
        backward.append({'op': 'interpolate', 'inputShape': list(x.shape), 'options': dict(opts, mode=mode),
                         'gradOutput': enc(go), 'gradOutputShape': list(go.shape), 'gradInput': enc(x.grad)})

empty = []
def shape_of(f):
    # PyTorch 1.13 computes some of these sizes in 32 bits and refuses them ('Output size is too
    # small' for 2**40): recorded as its error, and the test then checks the size formula instead.
    try:
        return list(f().shape)
    except RuntimeError as e:
        return {'error': str(e).splitlines()[0]}
empty.append({'op': 'conv2d', 'inputShape': [0, 2, 2**31, 5], 'weightShape': [3, 2, 3, 3], 'options': {},
              'outputShape': shape_of(lambda: F.conv2d(torch.zeros(0, 2, 2**31, 5), torch.zeros(3, 2, 3, 3)))})
empty.append({'op': 'maxPool2d', 'inputShape': [0, 1, 4, 2**40], 'options': {'kernelSize': 1, 'dilation': [1, 2]},
              'outputShape': shape_of(lambda: F.max_pool2d(torch.zeros(0, 1, 4, 2**40), 1, dilation=(1, 2)))})
empty.append({'op': 'avgPool1d', 'inputShape': [0, 2, 2**32], 'options': {'kernelSize': 2, 'stride': 1},
              'outputShape': shape_of(lambda: F.avg_pool1d(torch.zeros(0, 2, 2**32), 2, stride=1))})
empty.append({'op': 'interpolate', 'inputShape': [0, 2, 4, 2**31 - 1], 'options': {'mode': 'bilinear', 'size': [1, 3]},
              'outputShape': shape_of(lambda: F.interpolate(torch.zeros(0, 2, 4, 2**31 - 1), size=[1, 3], mode='bilinear'))})

# Non-finite weights (issue #14, item 6): a transposed convolution (and a convolution's input
# gradient) only multiplies real inputs (PyTorch's col2im), so an Inf tap that meets the padding
# leaves those outputs finite. The other direction (a convolution, a transposed convolution's input
# gradient) depends on the algorithm PyTorch picks: its im2col paths multiply the zero padding
# (0 * Inf = NaN; conv2d 3x3 padding 1 here), its oneDNN path does not (conv2d k4 s2 p1 here). Both
# are written; test/hardening.test.ts compares the scatter direction, which is the same in every
# PyTorch algorithm.
# Shapes that take the WebAssembly sub-pixel GEMM (k4 s2 p1 as W1 and W7, rows of 8 positions),
# groups with outputPadding, 1-d and 3-d.
gen = torch.Generator().manual_seed(1414)
nonfinite = []


def weight_with(shape, spots):
    w = torch.rand(shape, generator=gen) + 0.5
    for idx, v in spots:
        w[idx] = v
    return w


for op, xs, ws, spots, opts, kw in [
    ('convTranspose2d', (1, 2, 4, 8), (2, 3, 4, 4), [((0, 0, 0, 0), float('inf')), ((1, 2, 3, 3), -float('inf'))],
     {'stride': 2, 'padding': 1}, dict(stride=2, padding=1)),
    ('convTranspose2d', (2, 4, 3, 8), (4, 2, 3, 3), [((0, 1, 2, 0), float('inf')), ((3, 0, 0, 2), float('nan'))],
     {'stride': 2, 'padding': 1, 'outputPadding': 1, 'groups': 2}, dict(stride=2, padding=1, output_padding=1, groups=2)),
    ('convTranspose1d', (1, 2, 16), (2, 2, 4), [((1, 1, 3), float('inf'))], {'stride': 2, 'padding': 1},
     dict(stride=2, padding=1)),
    ('convTranspose3d', (1, 2, 3, 4, 8), (2, 2, 4, 4, 4), [((0, 1, 0, 0, 0), float('inf'))],
     {'stride': 2, 'padding': 1}, dict(stride=2, padding=1)),
    # outputs that only outputPadding reaches (no tap meets y: bias alone in PyTorch), on the
    # sub-pixel GEMM with the (c, phase) rows and, strides 8 (FCN-like), with transposed GEMMs
    ('convTranspose2d', (1, 2, 5, 8), (2, 3, 2, 2), [((0, 0, 0, 0), float('inf')), ((1, 2, 1, 1), -float('inf'))],
     {'stride': 2, 'outputPadding': 1}, dict(stride=2, output_padding=1)),
    ('convTranspose2d', (1, 2, 3, 3), (2, 3, 16, 16), [((0, 0, 0, 0), float('inf')), ((1, 1, 15, 15), float('nan'))],
     {'stride': 8, 'padding': 4, 'outputPadding': 7}, dict(stride=8, padding=4, output_padding=7)),
    ('conv2d', (1, 2, 8, 16), (3, 2, 4, 4), [((0, 0, 0, 0), float('inf')), ((2, 1, 3, 3), -float('inf'))],
     {'stride': 2, 'padding': 1}, dict(stride=2, padding=1)),
    ('conv2d', (1, 2, 5, 8), (3, 2, 3, 3), [((1, 0, 0, 0), float('inf'))], {'padding': 1}, dict(padding=1)),
]:
    x = (torch.rand(xs, generator=gen) + 0.5).requires_grad_()
    w = weight_with(ws, spots)
    fn = {'convTranspose1d': F.conv_transpose1d, 'convTranspose2d': F.conv_transpose2d,
          'convTranspose3d': F.conv_transpose3d, 'conv2d': F.conv2d}[op]
    y = fn(x, w, **kw)
    y.backward(torch.ones_like(y))
    nonfinite.append({'op': op, 'input': enc(x.detach()), 'inputShape': list(xs), 'weight': enc(w),
                      'weightShape': list(ws), 'options': opts, 'output': enc(y.detach()),
                      'outputShape': list(y.shape), 'gradInput': enc(x.grad)})

out = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'hardening.json')
with open(out, 'w') as f:
    json.dump({'generator': 'scripts/gen_hardening_fixtures.py', 'torch': torch.__version__,
               'cpuCapability': capability, 'numerics': numerics, 'bicubicWeights': weights, 'bicubicSigns': signs, 'backwardSigns': backward, 'emptyBatch': empty,
               'nonFiniteWeights': nonfinite}, f)
print('wrote', out)
