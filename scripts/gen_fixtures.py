#!/usr/bin/env python3
"""
PyTorch reference fixtures for test/fixtures.test.ts.

Run from the repository root (or anywhere):  /usr/bin/python3 scripts/gen_fixtures.py

Writes test/fixtures/<family>.json, one file per op family:

    conv.json            conv1d / conv2d / conv3d
    conv_transpose.json  convTranspose1d / 2d / 3d
    pool.json            maxPool1d / 2d / 3d
    unpool.json          maxUnpool1d / 2d / 3d
    avgpool.json         avgPool1d / 2d / 3d
    interpolate.json     interpolate (every mode)
    shuffle.json         pixelShuffle / pixelUnshuffle
    fold.json            unfold / fold (1-d, 2-d, 3-d)

Every case is a RANDOM configuration (seeded: re-running writes the same files) drawn so that each
option kind, each number of spatial dimensions and batched / unbatched input all occur. References
are computed by torch.nn.functional in float64 from float32-representable inputs; the stored
output and gradients are rounded to float32, so the test's tolerance measures only our float32
error.

Case format (options use the camelCase names of our API, /work/shared/API.md):

    {
      "name": "conv2d/017",
      "op": "conv2d",                       exported function to call
      "args": ["input", "weight", {"options": {...}, "tensorOptions": ["bias"]}],
                                            positional arguments: a string names a tensor of
                                            "inputs"; {"value": v} is a plain value; {"options":
                                            o, "tensorOptions": [k...]} is the options object o
                                            with o[k] = inputs[k] added
      "inputs": {"input": T, "weight": T, "bias": T, "indices": Tint32},
      "output": T,
      "indices": Tint32,                    only for maxPool with returnIndices: true
      "gradOutput": T,                      upstream gradient for output.backward(gradOutput)
      "grads": {"input": T, ...},           gradient of every float input
      "unbatched": ["input"],               (interpolate only) the batch size is 1 and the options
                                            fix the number of spatial dims: calling the op on
                                            these inputs without their batch dimension must give
                                            output / gradients without it
      "note": "..."                         how the reference was built, where not plain F.<op>
    }
    T = {"shape": [...], "data": [...]} (float32 values),  Tint32 = {..., "dtype": "int32"}

References that torch.nn.functional does not have directly:
  * conv with per-side padding [[b, e], ...]: F.pad the input, then conv with padding 0.
  * convTranspose with per-side padding: conv_transpose with padding 0 and output_padding 0
    (the full scatter, size F = (I-1)s + d(k-1) + 1), zero-extended at the end, cropped to
    [b : b + out] with out = F - b - e + outputPadding, then bias added. Symmetric cases use
    F.conv_transposeNd and are cross-checked against this construction.
  * convTranspose outputSize: output_padding = outputSize - minimum size (PyTorch's
    _output_padding), cross-checked against nn.ConvTransposeNd(...)(x, output_size=...).
  * unfold / fold in 1-d and 3-d: unfold from strided slices of the padded input (cross-checked
    against F.unfold in 2-d), fold = its adjoint through autograd: fold(y) = d<unfold(x), y>/dx.
"""
import itertools
import json
import math
import os
import random
import re
import struct
import warnings
import zlib

import torch
import torch.nn as nn
import torch.nn.functional as F

# DECONV_FIXTURE_SEED / DECONV_FIXTURE_DIR: a fresh random set elsewhere (the committed one uses 1913).
SEED = int(os.environ.get('DECONV_FIXTURE_SEED', '1913'))
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.environ.get('DECONV_FIXTURE_DIR') or os.path.join(ROOT, 'test', 'fixtures')
DT = torch.float64
warnings.filterwarnings('ignore', message="Using padding='same'")

# Size limits per number of spatial dimensions: largest spatial size, kernel, channels, batch,
# and a budget of stored elements per case (keeps the JSON at a few MB in total).
LIMITS = {
    1: dict(s=12, k=4, c=6, n=3, budget=700),
    2: dict(s=8, k=4, c=6, n=3, budget=1100),
    3: dict(s=5, k=3, c=4, n=2, budget=1500),
}


# ----------------------------------------------------------------------------------------------
# Serialisation


def f32(v):
    """The float32 nearest to v, as a Python float."""
    return struct.unpack('<f', struct.pack('<f', v))[0]


def fmt32(v):
    """Shortest decimal that reads back as the same float32 (at most 9 significant digits)."""
    v = f32(v)
    if v == 0:
        return '0'
    if not math.isfinite(v):
        raise ValueError('non-finite value in a fixture')
    for p in range(1, 10):
        s = '%.*g' % (p, v)
        if f32(float(s)) == v:
            return s
    return '%.9g' % v


class Writer:
    """Collects tensors as placeholders so the JSON can print their data compactly."""

    def __init__(self):
        self.blobs = []

    def tensor(self, t, dtype='float32'):
        t = t.detach().contiguous()
        flat = t.reshape(-1).tolist()
        if dtype == 'int32':
            data = ','.join(str(int(v)) for v in flat)
        else:
            data = ','.join(fmt32(v) for v in flat)
        key = len(self.blobs)
        self.blobs.append(data)
        out = {'shape': list(t.shape), 'data': '@@%d@@' % key}
        if dtype == 'int32':
            out['dtype'] = 'int32'
        return out

    def dump(self, obj):
        text = json.dumps(obj, separators=(',', ':'))
        return re.sub(r'"@@(\d+)@@"', lambda m: '[' + self.blobs[int(m.group(1))] + ']', text)


def write_family(filename, family, cases, writer):
    os.makedirs(OUT_DIR, exist_ok=True)
    path = os.path.join(OUT_DIR, filename)
    header = {
        'generator': 'scripts/gen_fixtures.py',
        'torch': torch.__version__,
        'seed': SEED,
        'family': family,
        'count': len(cases),
    }
    head = json.dumps(header, separators=(',', ':'))[:-1]
    with open(path, 'w') as f:
        f.write(head + ',"cases":[\n')
        f.write(',\n'.join(writer.dump(c) for c in cases))
        f.write('\n]}\n')
    return path, os.path.getsize(path)


# ----------------------------------------------------------------------------------------------
# Random helpers


def family_rng(name):
    seed = (SEED * 1000003 + zlib.crc32(name.encode())) % (2**31)
    torch.manual_seed(seed)
    return random.Random(seed), torch.Generator().manual_seed(seed)


def rand_t(g, shape):
    """Standard normal values rounded to 3 decimals, exactly representable in float32."""
    t = torch.randn(*shape, generator=g, dtype=DT) if len(shape) else torch.randn((), generator=g, dtype=DT)
    return (torch.round(t * 1000) / 1000).float().to(DT)


def tie_free(g, shape):
    """Distinct values (a scaled random permutation), so a max never has a tie."""
    n = int(math.prod(shape))
    perm = torch.randperm(n, generator=g).to(DT)
    return ((perm - n / 2) * 0.01).reshape(shape).float().to(DT)


def per_dim(rng, d, lo, hi, p_same=0.4):
    """One value per dimension in [lo, hi]; all equal with probability p_same."""
    if rng.random() < p_same:
        v = rng.randint(lo, hi)
        return [v] * d
    return [rng.randint(lo, hi) for _ in range(d)]


def small_first(rng, lo, hi, p_lo):
    return lo if rng.random() < p_lo else rng.randint(lo, hi)


def as_option(rng, vals, p_number=0.6):
    """A size-like option as our API takes it: a number when all dims agree (sometimes), else an array."""
    if all(v == vals[0] for v in vals) and rng.random() < p_number:
        return vals[0]
    return list(vals)


def put(rng, options, key, vals, default=None, p_omit=0.5, p_number=0.6):
    """Writes options[key]; omitted (sometimes) when every entry equals the default."""
    if default is not None and all(v == default for v in vals) and rng.random() < p_omit:
        return
    options[key] = as_option(rng, vals, p_number)


def torch_pad_list(begin, end):
    """F.pad's flat list (last dimension first) for per-dimension begin / end padding."""
    out = []
    for b, e in reversed(list(zip(begin, end))):
        out += [b, e]
    return out


def numel(shape):
    return int(math.prod(shape))


def finish(writer, case, out, leaves, g, extra_out=None, squeeze=False):
    """Backward with a random upstream gradient; stores output, gradOutput and grads (of leaves
    computed with a batch of one and stored without it when squeeze is set)."""
    for v in out.reshape(-1).tolist():
        if not math.isfinite(v):
            raise ValueError('non-finite output in ' + case['name'])
    grad_out = rand_t(g, list(out.shape))
    out.backward(grad_out)
    case['output'] = writer.tensor(out)
    if extra_out is not None:
        case.update(extra_out)
    case['gradOutput'] = writer.tensor(grad_out)
    grads = {}
    for name, t in leaves.items():
        grad = t.grad if t.grad is not None else torch.zeros_like(t)
        grads[name] = writer.tensor(grad.squeeze(0) if squeeze else grad)
    case['grads'] = grads
    return case


def call_args(tensor_names, options, tensor_options=()):
    return list(tensor_names) + [{'options': options, 'tensorOptions': list(tensor_options)}]


def channels(rng, cmax, depthwise_ok=True):
    """(groups, cin, cout) with groups in {1, 2, 3, depthwise}."""
    kind = rng.choice(['one', 'one', 'groups', 'depthwise'] if depthwise_ok else ['one', 'groups'])
    if kind == 'groups':
        groups = rng.choice([2, 3]) if cmax >= 6 else 2
        return groups, groups * rng.randint(1, cmax // groups), groups * rng.randint(1, cmax // groups)
    if kind == 'depthwise':
        cin = rng.randint(2, min(4, cmax))
        return cin, cin, cin * rng.randint(1, max(1, cmax // cin))
    return 1, rng.randint(1, cmax), rng.randint(1, cmax)


CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
CONVT = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}
CONVT_MODULE = {1: nn.ConvTranspose1d, 2: nn.ConvTranspose2d, 3: nn.ConvTranspose3d}
MAXPOOL = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
MAXUNPOOL = {1: F.max_unpool1d, 2: F.max_unpool2d, 3: F.max_unpool3d}
AVGPOOL = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}


# ----------------------------------------------------------------------------------------------
# conv


def gen_conv(writer, per_d=49):
    rng, g = family_rng('conv')
    kinds = ['none', 'number', 'perDim', 'same', 'valid', 'pairs', 'pairs']
    cases = []
    for d in (1, 2, 3):
        lim = LIMITS[d]
        for i in range(per_d):
            kind = kinds[i % len(kinds)]
            batched = (i // len(kinds)) % 2 == 0
            while True:
                groups, cin, cout = channels(rng, lim['c'])
                k = per_dim(rng, d, 1, lim['k'])
                stride = [1] * d if kind == 'same' else [small_first(rng, 1, 3, 0.4) for _ in range(d)]
                dil = [small_first(rng, 1, 3, 0.6) for _ in range(d)]
                if rng.random() < 0.3:
                    stride = [stride[0]] * d
                n = rng.randint(1, lim['n'])
                spatial = [rng.randint(1, lim['s']) for _ in range(d)]
                begin = end = [0] * d
                options = {}
                tpad = 0
                if kind == 'number':
                    p = rng.randint(0, 3)
                    options['padding'] = p
                    begin = end = [p] * d
                    tpad = [p] * d
                elif kind == 'perDim':
                    begin = end = [rng.randint(0, 3) for _ in range(d)]
                    options['padding'] = list(begin)
                    tpad = list(begin)
                elif kind in ('same', 'valid'):
                    options['padding'] = kind
                    tpad = kind
                    if kind == 'same':
                        total = [dl * (kk - 1) for dl, kk in zip(dil, k)]
                        begin = [t // 2 for t in total]
                        end = [t - t // 2 for t in total]
                elif kind == 'pairs':
                    spec = []
                    begin, end = [], []
                    for j in range(d):
                        if rng.random() < 0.75 or (j == d - 1 and not any(isinstance(s, list) for s in spec)):
                            b, e = rng.randint(0, 3), rng.randint(0, 3)
                            spec.append([b, e])
                        else:
                            b = e = rng.randint(0, 2)
                            spec.append(b)
                        begin.append(b)
                        end.append(e)
                    options['padding'] = spec
                out_sp = [
                    (spatial[j] + begin[j] + end[j] - dil[j] * (k[j] - 1) - 1) // stride[j] + 1
                    for j in range(d)
                ]
                if min(out_sp) < 1:
                    continue
                in_shape = ([n] if batched else []) + [cin] + spatial
                w_shape = [cout, cin // groups] + k
                out_shape = ([n] if batched else []) + [cout] + out_sp
                if numel(in_shape) + numel(w_shape) + 2 * numel(out_shape) > lim['budget']:
                    continue
                break
            put(rng, options, 'stride', stride, default=1)
            put(rng, options, 'dilation', dil, default=1)
            if groups != 1 or rng.random() < 0.3:
                options['groups'] = groups
            has_bias = rng.random() < 0.6
            x = rand_t(g, in_shape).requires_grad_()
            w = rand_t(g, w_shape).requires_grad_()
            leaves = {'input': x, 'weight': w}
            b = None
            if has_bias:
                b = rand_t(g, [cout]).requires_grad_()
                leaves['bias'] = b
            if kind == 'pairs':
                out = CONV[d](F.pad(x, torch_pad_list(begin, end)), w, b, stride, 0, dil, groups)
                note = 'F.pad(input, pairs) then conv with padding 0'
            else:
                out = CONV[d](x, w, b, stride, tpad, dil, groups)
                note = None
            assert list(out.shape) == out_shape, (out.shape, out_shape)
            name = 'conv%dd/%03d' % (d, i)
            case = {
                'name': name,
                'op': 'conv%dd' % d,
                'args': call_args(['input', 'weight'], options, ['bias'] if has_bias else []),
                'inputs': {nm: writer.tensor(t) for nm, t in leaves.items()},
            }
            if note:
                case['note'] = note
            cases.append(finish(writer, case, out, leaves, g))
    return cases


# ----------------------------------------------------------------------------------------------
# convTranspose


def convt_pairs_ref(d, x, w, b, stride, begin, end, out_pad, dil, groups):
    """conv_transpose with per-side padding: full scatter, zero-extend at the end, crop, add bias."""
    full = CONVT[d](x, w, None, stride, 0, 0, groups, dil)
    fsz = list(full.shape[-d:])
    out_sz = [fsz[j] - begin[j] - end[j] + out_pad[j] for j in range(d)]
    ext = [max(0, begin[j] + out_sz[j] - fsz[j]) for j in range(d)]
    full = F.pad(full, torch_pad_list([0] * d, ext))
    idx = [slice(None)] * (full.dim() - d) + [slice(begin[j], begin[j] + out_sz[j]) for j in range(d)]
    out = full[tuple(idx)]
    if b is not None:
        out = out + b.reshape([-1] + [1] * d)
    return out


def gen_conv_transpose(writer, per_d=49):
    rng, g = family_rng('conv_transpose')
    kinds = ['none', 'number', 'perDim', 'pairs', 'outputSize', 'pairs', 'pairsOutputSize']
    cases = []
    for d in (1, 2, 3):
        lim = LIMITS[d]
        for i in range(per_d):
            kind = kinds[i % len(kinds)]
            batched = (i // len(kinds)) % 2 == 0
            while True:
                groups, cin, cout = channels(rng, lim['c'])
                k = per_dim(rng, d, 1, lim['k'])
                stride = [small_first(rng, 1, 3, 0.3) for _ in range(d)]
                dil = [small_first(rng, 1, 3, 0.6) for _ in range(d)]
                if rng.random() < 0.3:
                    stride = [stride[0]] * d
                n = rng.randint(1, lim['n'])
                spatial = [rng.randint(1, max(1, lim['s'] // 2 + 1)) for _ in range(d)]
                if kind in ('none', 'outputSize'):
                    begin = end = [0] * d if kind == 'none' else per_dim(rng, d, 0, 2)
                elif kind in ('number',):
                    begin = end = [rng.randint(0, 3)] * d
                elif kind == 'perDim':
                    begin = end = [rng.randint(0, 3) for _ in range(d)]
                else:
                    begin = [rng.randint(0, 3) for _ in range(d)]
                    end = [small_first(rng, 0, 3, 0.4) for _ in range(d)]
                    for j in range(d - 1):
                        if rng.random() < 0.25:
                            end[j] = begin[j]  # a plain number for this dim
                    if begin == end:
                        end[-1] += 1
                if kind in ('outputSize', 'pairsOutputSize'):
                    # PyTorch's _output_padding: outputSize in [min, min + stride - 1]
                    out_pad = [rng.randint(0, s - 1) for s in stride]
                elif rng.random() < (0.75 if kind == 'pairs' else 0.5):
                    out_pad = [rng.randint(0, max(s, dl) - 1) for s, dl in zip(stride, dil)]
                else:
                    out_pad = [0] * d
                fsz = [(spatial[j] - 1) * stride[j] + dil[j] * (k[j] - 1) + 1 for j in range(d)]
                out_sp = [fsz[j] - begin[j] - end[j] + out_pad[j] for j in range(d)]
                if min(out_sp) < 1:
                    continue
                in_shape = ([n] if batched else []) + [cin] + spatial
                w_shape = [cin, cout // groups] + k
                out_shape = ([n] if batched else []) + [cout] + out_sp
                if numel(in_shape) + numel(w_shape) + 2 * numel(out_shape) > lim['budget']:
                    continue
                break
            options = {}
            if kind == 'number':
                options['padding'] = begin[0]
            elif kind == 'perDim':
                options['padding'] = list(begin)
            elif kind == 'outputSize':
                put(rng, options, 'padding', begin, default=0, p_omit=0.3)
            elif kind in ('pairs', 'pairsOutputSize'):
                options['padding'] = [
                    [bb, ee] if (bb != ee or rng.random() < 0.7) else bb for bb, ee in zip(begin, end)
                ]
            put(rng, options, 'stride', stride, default=1)
            put(rng, options, 'dilation', dil, default=1)
            if kind in ('outputSize', 'pairsOutputSize'):
                options['outputSize'] = list(out_sp)
            else:
                put(rng, options, 'outputPadding', out_pad, default=0, p_omit=0.6)
            if groups != 1 or rng.random() < 0.3:
                options['groups'] = groups
            has_bias = rng.random() < 0.6
            x = rand_t(g, in_shape).requires_grad_()
            w = rand_t(g, w_shape).requires_grad_()
            leaves = {'input': x, 'weight': w}
            b = None
            if has_bias:
                b = rand_t(g, [cout]).requires_grad_()
                leaves['bias'] = b
            note = None
            if begin == end:
                out = CONVT[d](x, w, b, stride, begin, out_pad, groups, dil)
                with torch.no_grad():
                    check = convt_pairs_ref(d, x, w, b, stride, begin, end, out_pad, dil, groups)
                    assert torch.allclose(out, check, atol=1e-12), 'pairs construction disagrees'
                    if kind == 'outputSize':
                        m = CONVT_MODULE[d](cin, cout, k, stride, begin, 0, groups, has_bias, dil).to(DT)
                        m.weight.copy_(w)
                        if has_bias:
                            m.bias.copy_(b)
                        via_module = m(x, output_size=list(out_sp))
                        assert torch.allclose(out, via_module, atol=1e-12), 'output_size path disagrees'
                if kind == 'outputSize':
                    note = 'output_padding = outputSize - minimum size, as nn.ConvTranspose output_size'
            else:
                out = convt_pairs_ref(d, x, w, b, stride, begin, end, out_pad, dil, groups)
                note = 'conv_transpose with padding 0, zero-extended at the end, cropped to [b : b + out]' + (
                    ', + bias' if has_bias else ''
                )
            assert list(out.shape) == out_shape, (out.shape, out_shape)
            case = {
                'name': 'convTranspose%dd/%03d' % (d, i),
                'op': 'convTranspose%dd' % d,
                'args': call_args(['input', 'weight'], options, ['bias'] if has_bias else []),
                'inputs': {nm: writer.tensor(t) for nm, t in leaves.items()},
            }
            if note:
                case['note'] = note
            cases.append(finish(writer, case, out, leaves, g))
    return cases


# ----------------------------------------------------------------------------------------------
# max pooling


def pool_geometry(rng, d, lim, allow_dilation):
    k = per_dim(rng, d, 1, lim['k'])
    if rng.random() < 0.3:
        stride = None
    else:
        stride = [small_first(rng, 1, 3, 0.2) for _ in range(d)]
        if rng.random() < 0.3:
            stride = [stride[0]] * d
    pad = [rng.randint(0, kk // 2) if rng.random() < 0.6 else 0 for kk in k]
    dil = [small_first(rng, 1, 3, 0.6) for _ in range(d)] if allow_dilation else [1] * d
    return k, stride, pad, dil


def pool_out(size, k, s, p, dl, ceil):
    eff = dl * (k - 1) + 1
    num = size + 2 * p - eff
    if num < 0:
        return 0
    o = (-(-num // s) if ceil else num // s) + 1
    if ceil and (o - 1) * s >= size + p:
        o -= 1
    return o


def gen_pool(writer, per_d=48):
    rng, g = family_rng('pool')
    cases = []
    for d in (1, 2, 3):
        lim = LIMITS[d]
        for i in range(per_d):
            batched = i % 2 == 0
            return_indices = (i // 2) % 2 == 0
            ceil = (i // 4) % 2 == 1
            while True:
                k, stride, pad, dil = pool_geometry(rng, d, lim, True)
                s_eff = stride if stride is not None else k
                n = rng.randint(1, lim['n'])
                c = rng.randint(1, lim['c'])
                spatial = [rng.randint(1, lim['s']) for _ in range(d)]
                out_sp = [pool_out(spatial[j], k[j], s_eff[j], pad[j], dil[j], ceil) for j in range(d)]
                if min(out_sp) < 1:
                    continue
                in_shape = ([n] if batched else []) + [c] + spatial
                out_shape = ([n] if batched else []) + [c] + out_sp
                if 2 * numel(in_shape) + 3 * numel(out_shape) > lim['budget']:
                    continue
                # PyTorch gives -inf (and an index outside the input) for a window that holds only
                # padding (possible with dilation); no fixture for that edge.
                probe = MAXPOOL[d](torch.zeros([1, 1] + spatial, dtype=DT), k, stride, pad, dil, ceil)
                if not torch.isfinite(probe).all():
                    continue
                break
            options = {'kernelSize': as_option(rng, k)}
            if stride is not None:
                options['stride'] = as_option(rng, stride)
            put(rng, options, 'padding', pad, default=0)
            put(rng, options, 'dilation', dil, default=1)
            if ceil or rng.random() < 0.4:
                options['ceilMode'] = ceil
            if return_indices or rng.random() < 0.4:
                options['returnIndices'] = return_indices
            x = tie_free(g, in_shape).requires_grad_()
            out, idx = MAXPOOL[d](x, k, stride, pad, dil, ceil, True)
            assert list(out.shape) == out_shape, (out.shape, out_shape)
            case = {
                'name': 'maxPool%dd/%03d' % (d, i),
                'op': 'maxPool%dd' % d,
                'args': call_args(['input'], options),
                'inputs': {'input': writer.tensor(x)},
            }
            extra = {'indices': writer.tensor(idx, 'int32')} if return_indices else None
            cases.append(finish(writer, case, out, {'input': x}, g, extra))
    return cases


# ----------------------------------------------------------------------------------------------
# max unpooling


def gen_unpool(writer, per_d=40):
    rng, g = family_rng('unpool')
    kinds = ['none', 'spatial', 'spatial', 'withNC']
    cases = []
    for d in (1, 2, 3):
        lim = LIMITS[d]
        for i in range(per_d):
            kind = kinds[i % len(kinds)]
            batched = kind == 'withNC' or (i // len(kinds)) % 2 == 0
            while True:
                k, stride, pad, _ = pool_geometry(rng, d, lim, False)
                s_eff = stride if stride is not None else k
                ceil = rng.random() < 0.25
                n = rng.randint(1, lim['n'])
                c = rng.randint(1, lim['c'])
                spatial = [rng.randint(1, lim['s']) for _ in range(d)]
                pooled_sp = [pool_out(spatial[j], k[j], s_eff[j], pad[j], 1, ceil) for j in range(d)]
                if min(pooled_sp) < 1:
                    continue
                default = [(pooled_sp[j] - 1) * s_eff[j] + k[j] - 2 * pad[j] for j in range(d)]
                if kind == 'none':
                    out_sp = default
                else:
                    out_sp = []
                    for j in range(d):
                        lo, hi = default[j] - s_eff[j] + 1, default[j] + s_eff[j] - 1
                        if lo <= spatial[j] <= hi and rng.random() < 0.6:
                            out_sp.append(spatial[j])
                        else:
                            out_sp.append(rng.randint(max(1, lo), hi) if hi >= max(1, lo) else 0)
                if min(out_sp) < 1:
                    continue
                in_shape = ([n] if batched else []) + [c] + spatial
                pooled_shape = ([n] if batched else []) + [c] + pooled_sp
                out_shape = ([n] if batched else []) + [c] + out_sp
                if 3 * numel(pooled_shape) + 2 * numel(out_shape) > lim['budget']:
                    continue
                src = tie_free(g, in_shape)
                pooled, idx = MAXPOOL[d](src, k, stride, pad, 1, ceil, True)
                if int(idx.max()) >= numel(out_sp):
                    continue
                break
            # Overlapping windows can put one position in two outputs; such entries then carry the
            # same value (the pooled one), so the scatter is well defined. Otherwise fresh values.
            flat = idx.reshape(-1, numel(pooled_sp))
            has_dup = any(len(set(row)) != len(row) for row in flat.tolist())
            x = (pooled.detach().clone() if has_dup else rand_t(g, pooled_shape)).requires_grad_()
            options = {'kernelSize': as_option(rng, k)}
            if stride is not None:
                options['stride'] = as_option(rng, stride)
            put(rng, options, 'padding', pad, default=0)
            if kind == 'spatial':
                options['outputSize'] = list(out_sp)
            elif kind == 'withNC':
                options['outputSize'] = [n, c] + list(out_sp)
            out = MAXUNPOOL[d](x, idx, k, stride, pad, options.get('outputSize'))
            assert list(out.shape) == out_shape, (out.shape, out_shape)
            case = {
                'name': 'maxUnpool%dd/%03d' % (d, i),
                'op': 'maxUnpool%dd' % d,
                'args': call_args(['input', 'indices'], options),
                'inputs': {'input': writer.tensor(x), 'indices': writer.tensor(idx, 'int32')},
                'note': 'input and indices from F.max_pool%dd(kernel %s, stride %s, padding %s, '
                'ceil_mode %s)%s'
                % (d, k, stride, pad, ceil, ' (input = pooled values: repeated indices)' if has_dup else ''),
            }
            cases.append(finish(writer, case, out, {'input': x}, g))
    return cases


# ----------------------------------------------------------------------------------------------
# average pooling


def gen_avgpool(writer, per_d=48):
    rng, g = family_rng('avgpool')
    cases = []
    for d in (1, 2, 3):
        lim = LIMITS[d]
        for i in range(per_d):
            batched = i % 2 == 0
            ceil = (i // 2) % 2 == 1
            include = (i // 4) % 2 == 0
            while True:
                k, stride, pad, _ = pool_geometry(rng, d, lim, False)
                if not include and rng.random() < 0.7:
                    pad = [rng.randint(0, kk // 2) for kk in k]
                s_eff = stride if stride is not None else k
                n = rng.randint(1, lim['n'])
                c = rng.randint(1, lim['c'])
                spatial = [rng.randint(1, lim['s']) for _ in range(d)]
                out_sp = [pool_out(spatial[j], k[j], s_eff[j], pad[j], 1, ceil) for j in range(d)]
                if min(out_sp) < 1:
                    continue
                in_shape = ([n] if batched else []) + [c] + spatial
                out_shape = ([n] if batched else []) + [c] + out_sp
                if 2 * numel(in_shape) + 2 * numel(out_shape) > lim['budget']:
                    continue
                # avg_pool3d (CPU) refuses an input smaller than the kernel even when the padding
                # makes the window fit (avg_pool1d/2d and max_pool3d accept it); no fixture for that.
                if d == 3 and any(spatial[j] < k[j] for j in range(d)):
                    continue
                break
            options = {'kernelSize': as_option(rng, k)}
            if stride is not None:
                options['stride'] = as_option(rng, stride)
            put(rng, options, 'padding', pad, default=0)
            if ceil or rng.random() < 0.4:
                options['ceilMode'] = ceil
            if not include or rng.random() < 0.4:
                options['countIncludePad'] = include
            x = rand_t(g, in_shape).requires_grad_()
            out = AVGPOOL[d](x, k, stride, pad, ceil, include)
            assert list(out.shape) == out_shape, (out.shape, out_shape)
            case = {
                'name': 'avgPool%dd/%03d' % (d, i),
                'op': 'avgPool%dd' % d,
                'args': call_args(['input'], options),
                'inputs': {'input': writer.tensor(x)},
            }
            cases.append(finish(writer, case, out, {'input': x}, g))
    return cases


# ----------------------------------------------------------------------------------------------
# interpolate

INTERP_MODES = [
    ('nearest', 1), ('nearest', 2), ('nearest', 3),
    ('nearest-exact', 1), ('nearest-exact', 2), ('nearest-exact', 3),
    ('area', 1), ('area', 2), ('area', 3),
    ('linear', 1), ('bilinear', 2), ('bicubic', 2), ('trilinear', 3),
]
SCALES = [0.5, 0.6, 0.75, 1.5, 1.7, 2, 2.3, 3, 1, 2.5, 0.4]


def gen_interpolate(writer, per_mode=16):
    rng, g = family_rng('interpolate')
    variants = ['sizeNumber', 'sizeArray', 'scaleNumber', 'scaleArray']
    cases = []
    for mode, d in INTERP_MODES:
        smax = {1: 8, 2: 6, 3: 4}[d]
        omax = {1: 14, 2: 9, 3: 6}[d]
        linear = mode in ('linear', 'bilinear', 'bicubic', 'trilinear')
        for i in range(per_mode):
            variant = variants[i % len(variants)]
            align = [True, False, None][(i // len(variants)) % 3] if linear else None
            while True:
                n = rng.choice([1, 1, 2]) if d < 3 else rng.choice([1, 2])
                c = rng.randint(1, 3)
                spatial = [rng.randint(1, smax) for _ in range(d)]
                if variant.startswith('size'):
                    if variant == 'sizeNumber':
                        size = [rng.randint(1, omax)] * d
                    else:
                        size = [rng.randint(1, omax) for _ in range(d)]
                    out_sp = size
                    torch_kw = {'size': size}
                    opt = {'size': size[0] if variant == 'sizeNumber' else list(size)}
                else:
                    if variant == 'scaleNumber':
                        sf = [rng.choice(SCALES)] * d
                    else:
                        sf = [rng.choice(SCALES) for _ in range(d)]
                    out_sp = [int(math.floor(spatial[j] * sf[j])) for j in range(d)]
                    torch_kw = {'scale_factor': sf}
                    opt = {'scaleFactor': sf[0] if variant == 'scaleNumber' else list(sf)}
                if min(out_sp) < 1 or max(out_sp) > omax + 3:
                    continue
                in_shape = [n, c] + spatial
                out_shape = [n, c] + out_sp
                if 2 * numel(in_shape) + 2 * numel(out_shape) > 700:
                    continue
                break
            options = dict(opt)
            if mode != 'nearest' or rng.random() < 0.5:
                options['mode'] = mode
            if align is not None:
                options['alignCorners'] = align
            x = rand_t(g, in_shape).requires_grad_()
            out = F.interpolate(x, mode=mode, align_corners=align, **torch_kw)
            assert list(out.shape) == out_shape, (out.shape, out_shape, mode, torch_kw)
            case = {
                'name': 'interpolate-%s-%dd/%03d' % (mode, d, i),
                'op': 'interpolate',
                'args': call_args(['input'], options),
                'inputs': {'input': writer.tensor(x)},
            }
            # The unbatched call is defined when the options fix the number of spatial dims.
            if n == 1 and (linear or variant in ('sizeArray', 'scaleArray')):
                case['unbatched'] = ['input']
            cases.append(finish(writer, case, out, {'input': x}, g))
    cases += gen_nearest_index_cases(writer, rng, g)
    cases += gen_shortcut_cases(writer, g)
    return cases


def gen_shortcut_cases(writer, g):
    """
    PyTorch 1.13 disagrees with itself when a given scale factor rounds to an output size equal to
    the input size (or twice it, for 'nearest'): 'nearest' backward always uses nearest_idx's
    shortcuts, and so does its forward for a single channel in 2-d/3-d (the channels-last kernel);
    'bicubic' backward copies the gradient when no size changes. Fixed cases, both channel counts.
    """
    configs = [
        ('nearest', [1, 1, 2, 2], 2.3),
        ('nearest', [1, 2, 2, 2], 2.3),
        ('nearest', [1, 1, 10, 3], [1.05, 1.7]),
        ('nearest', [2, 3, 10, 3], [1.05, 1.7]),
        ('nearest', [1, 1, 2, 3, 2], [2.3, 1.05, 2.4]),
        ('nearest', [1, 2, 2, 3, 2], [2.3, 1.05, 2.4]),
        ('nearest', [1, 1, 3], 2.3),
        ('nearest', [1, 2, 5], 2.18),
        ('nearest', [1, 1, 10], 1.09),
        ('nearest-exact', [1, 1, 10, 2], [1.09, 2.3]),
        ('bicubic', [1, 2, 10, 2], [1.05, 1.3]),
        ('bicubic', [1, 1, 10, 3], [1.05, 1.3]),
        ('bicubic', [1, 2, 10, 3], [1.05, 1.3]),
    ]
    cases = []
    for i, (mode, shape, sf) in enumerate(configs):
        x = rand_t(g, shape).requires_grad_()
        out = F.interpolate(x, scale_factor=sf, mode=mode)
        opt = {'scaleFactor': sf, 'mode': mode}
        case = {
            'name': 'interpolate-%s-%dd-shortcut/%03d' % (mode, len(shape) - 2, i),
            'op': 'interpolate',
            'args': call_args(['input'], opt),
            'inputs': {'input': writer.tensor(x)},
            'note': "PyTorch 1.13's nearest_idx shortcuts / bicubic's copied gradient",
        }
        cases.append(finish(writer, case, out, {'input': x}, g))
    return cases


def nearest_source_index_in_double(mode, size_in, size_out, scale_factor):
    """Source indices when the index arithmetic is done in float64 (not PyTorch's way)."""
    scale = 1 / scale_factor if scale_factor is not None else size_in / size_out
    shift = 0.5 if mode == 'nearest-exact' else 0.0
    return [min(math.floor((o + shift) * scale), size_in - 1) for o in range(size_out)]


def gen_nearest_index_cases(writer, rng, g, per_mode=8):
    """
    PyTorch computes the nearest / nearest-exact source index in float32 (a float scale, floorf),
    whatever the tensor's dtype; for some sizes this picks a different source element than float64
    arithmetic would. These 1-d cases are exactly such sizes (found by search, then sampled).
    """
    found = {'nearest': [], 'nearest-exact': []}
    ramp_cache = {}
    for size_in in range(1, 33):
        ramp = ramp_cache.setdefault(size_in, torch.arange(size_in, dtype=DT).reshape(1, 1, size_in))
        for mode in found:
            for size_out in range(1, 49):
                got = F.interpolate(ramp, size=size_out, mode=mode)[0, 0].tolist()
                if [int(v) for v in got] != nearest_source_index_in_double(mode, size_in, size_out, None):
                    found[mode].append((size_in, {'size': size_out}, {'size': [size_out]}))
            for sf in (0.45, 0.7, 1.1, 1.3, 1.7, 1.9, 2.3, 2.9, 3.3):
                size_out = int(math.floor(size_in * sf))
                if size_out < 1:
                    continue
                got = F.interpolate(ramp, scale_factor=sf, mode=mode)[0, 0].tolist()
                if [int(v) for v in got] != nearest_source_index_in_double(mode, size_in, size_out, sf):
                    found[mode].append((size_in, {'scale_factor': sf}, {'scaleFactor': [sf]}))
    cases = []
    for mode, configs in found.items():
        picked = rng.sample(configs, min(per_mode, len(configs)))
        for i, (size_in, torch_kw, opt) in enumerate(picked):
            x = rand_t(g, [1, 1, size_in]).requires_grad_()
            out = F.interpolate(x, mode=mode, **torch_kw)
            case = {
                'name': 'interpolate-%s-1d-index/%03d' % (mode, i),
                'op': 'interpolate',
                'args': call_args(['input'], dict(opt, mode=mode)),
                'inputs': {'input': writer.tensor(x)},
                'note': 'PyTorch computes the source index in float32: float64 index arithmetic picks a '
                'different element here',
                'unbatched': ['input'],
            }
            cases.append(finish(writer, case, out, {'input': x}, g))
    return cases


# ----------------------------------------------------------------------------------------------
# pixelShuffle / pixelUnshuffle


def gen_shuffle(writer, per_op=42):
    rng, g = family_rng('shuffle')
    cases = []
    for op in ('pixelShuffle', 'pixelUnshuffle'):
        for i in range(per_op):
            rank = [3, 4, 5][i % 3]
            while True:
                r = rng.choice([1, 2, 2, 3, 3, 4])
                c = rng.randint(1, 3)
                h, w = rng.randint(1, 4), rng.randint(1, 4)
                lead = [rng.randint(1, 2) for _ in range(rank - 3)]
                if op == 'pixelShuffle':
                    in_shape = lead + [c * r * r, h, w]
                else:
                    in_shape = lead + [c, h * r, w * r]
                if 4 * numel(in_shape) > 900:
                    continue
                break
            x = rand_t(g, in_shape).requires_grad_()
            out = F.pixel_shuffle(x, r) if op == 'pixelShuffle' else F.pixel_unshuffle(x, r)
            case = {
                'name': '%s/%03d' % (op, i),
                'op': op,
                'args': ['input', {'value': r}],
                'inputs': {'input': writer.tensor(x)},
            }
            cases.append(finish(writer, case, out, {'input': x}, g))
    return cases


# ----------------------------------------------------------------------------------------------
# unfold / fold


def unfold_ref(x, k, dil, pad, st):
    """im2col for any number of spatial dims from strided slices: (N, C, *sp) -> (N, C*K, L)."""
    d = len(k)
    n, c = x.shape[0], x.shape[1]
    xp = F.pad(x, torch_pad_list(pad, pad))
    sp = list(xp.shape[2:])
    out = [(sp[j] - dil[j] * (k[j] - 1) - 1) // st[j] + 1 for j in range(d)]
    cols = []
    for offs in itertools.product(*[range(kk) for kk in k]):
        sl = [slice(None), slice(None)] + [
            slice(offs[j] * dil[j], offs[j] * dil[j] + (out[j] - 1) * st[j] + 1, st[j]) for j in range(d)
        ]
        cols.append(xp[tuple(sl)])
    return torch.stack(cols, dim=2).reshape(n, c * numel(k), numel(out))


def unfold_by_conv(x, k, dil, pad, st):
    """im2col a second way, as a cross-check: a convolution with one-hot kernels, one per offset."""
    d = len(k)
    n, c = x.shape[0], x.shape[1]
    kk = numel(k)
    onehot = torch.eye(kk, dtype=DT).reshape([kk, 1] + list(k))
    y = CONV[d](x.reshape([n * c, 1] + list(x.shape[2:])), onehot, None, st, pad, dil)
    return y.reshape(n, c * kk, -1)


def fold_ref(y, out_size, k, dil, pad, st):
    """col2im as the adjoint of unfold_ref, differentiable in y: (N, C*K, L) -> (N, C, *out_size)."""
    n = y.shape[0]
    c = y.shape[1] // numel(k)
    x = torch.zeros([n, c] + list(out_size), dtype=DT, requires_grad=True)
    (res,) = torch.autograd.grad((unfold_ref(x, k, dil, pad, st) * y).sum(), x, create_graph=True)
    return res


def gen_fold(writer, per_d=32):
    rng, g = family_rng('fold')
    cases = []
    for op in ('unfold', 'fold'):
        for d in (1, 2, 3):
            lim = LIMITS[d]
            for i in range(per_d):
                batched = i % 2 == 0
                while True:
                    k = per_dim(rng, d, 1, 3 if d == 3 else 4)
                    dil = [small_first(rng, 1, 3, 0.6) for _ in range(d)]
                    pad = [small_first(rng, 0, 2, 0.5) for _ in range(d)]
                    st = [small_first(rng, 1, 3, 0.4) for _ in range(d)]
                    n = rng.randint(1, lim['n']) if batched else 1
                    c = rng.randint(1, 3)
                    spatial = [rng.randint(1, lim['s']) for _ in range(d)]
                    blocks = [
                        (spatial[j] + 2 * pad[j] - dil[j] * (k[j] - 1) - 1) // st[j] + 1 for j in range(d)
                    ]
                    if min(blocks) < 1:
                        continue
                    cols_shape = [n, c * numel(k), numel(blocks)]
                    img_shape = [n, c] + spatial
                    if 2 * numel(cols_shape) + 2 * numel(img_shape) > lim['budget']:
                        continue
                    break
                options = {}
                if op == 'fold':
                    square = d == 2 and spatial[0] == spatial[1] and rng.random() < 0.5
                    options['outputSize'] = spatial[0] if square else list(spatial)
                # A number kernelSize means 2-d for unfold; fold takes the dimension count from outputSize.
                if d == 2 or (op == 'fold' and rng.random() < 0.3):
                    options['kernelSize'] = as_option(rng, k)
                else:
                    options['kernelSize'] = list(k)
                put(rng, options, 'dilation', dil, default=1)
                put(rng, options, 'padding', pad, default=0)
                put(rng, options, 'stride', st, default=1)
                if op == 'unfold':
                    x = rand_t(g, img_shape).requires_grad_()
                    out = unfold_ref(x, k, dil, pad, st)
                    with torch.no_grad():
                        if d == 2:
                            direct = F.unfold(x, k, dil, pad, st)
                        elif d == 1:
                            direct = F.unfold(
                                x.unsqueeze(-2), [1, k[0]], [1, dil[0]], [0, pad[0]], [1, st[0]]
                            )
                        else:
                            direct = unfold_by_conv(x, k, dil, pad, st)
                        assert torch.allclose(out, direct, atol=1e-12), 'unfold construction disagrees'
                    if d == 2:
                        out = F.unfold(x, k, dil, pad, st)
                else:
                    x = rand_t(g, cols_shape).requires_grad_()
                    out = fold_ref(x, spatial, k, dil, pad, st)
                    with torch.no_grad():
                        if d == 2:
                            direct = F.fold(x, spatial, k, dil, pad, st)
                        elif d == 1:
                            direct = F.fold(
                                x, [1, spatial[0]], [1, k[0]], [1, dil[0]], [0, pad[0]], [1, st[0]]
                            ).squeeze(-2)
                        else:
                            direct = out
                        assert torch.allclose(out, direct, atol=1e-12), 'fold construction disagrees'
                    if d == 2:
                        out = F.fold(x, spatial, k, dil, pad, st)
                case = {
                    'name': '%s%dd/%03d' % (op, d, i),
                    'op': op,
                    'args': call_args(['input'], options),
                }
                if d != 2:
                    case['note'] = (
                        'unfold from strided slices of the padded input (checked against F.unfold on a '
                        '(N, C, 1, L) view in 1-d, a one-hot conv3d in 3-d); '
                        'fold = its adjoint through autograd'
                    )
                if batched:
                    case['inputs'] = {'input': writer.tensor(x)}
                    cases.append(finish(writer, case, out, {'input': x}, g))
                else:
                    # Unbatched: the batch-of-one result without its batch dimension.
                    case['inputs'] = {'input': writer.tensor(x.squeeze(0))}
                    cases.append(finish(writer, case, out.squeeze(0), {'input': x}, g, squeeze=True))
    return cases


# ----------------------------------------------------------------------------------------------


def main():
    families = [
        ('conv.json', 'conv', gen_conv),
        ('conv_transpose.json', 'convTranspose', gen_conv_transpose),
        ('pool.json', 'maxPool', gen_pool),
        ('unpool.json', 'maxUnpool', gen_unpool),
        ('avgpool.json', 'avgPool', gen_avgpool),
        ('interpolate.json', 'interpolate', gen_interpolate),
        ('shuffle.json', 'pixelShuffle', gen_shuffle),
        ('fold.json', 'fold', gen_fold),
    ]
    total = 0
    for filename, family, gen in families:
        writer = Writer()
        cases = gen(writer)
        path, size = write_family(filename, family, cases, writer)
        total += size
        ops = {}
        for c in cases:
            ops[c['op']] = ops.get(c['op'], 0) + 1
        print('%-22s %4d cases %8.1f kB  %s' % (filename, len(cases), size / 1024, ops))
    print('total %.2f MB (torch %s)' % (total / 2**20, torch.__version__))


if __name__ == '__main__':
    main()
