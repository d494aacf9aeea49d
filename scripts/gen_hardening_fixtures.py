"""Fixtures of the hardening tests (test/hardening.test.ts, issue #14), from PyTorch 1.13.

Run with /usr/bin/python3 (torch 1.13); writes test/fixtures/hardening.json:
  - numerics: 0·Inf and −0 through conv2d, conv_transpose2d and interpolate (values as strings
    'nan', 'inf', '-0' so that JSON keeps them);
  - empty batches with huge spatial sizes: the output shapes PyTorch gives.
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

out = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'hardening.json')
with open(out, 'w') as f:
    json.dump({'generator': 'scripts/gen_hardening_fixtures.py', 'torch': torch.__version__,
               'numerics': numerics, 'emptyBatch': empty}, f, indent=1)
print('wrote', out)
