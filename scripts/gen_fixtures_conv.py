#!/usr/bin/env python3
"""
PyTorch reference fixtures for the convolution cases scripts/gen_fixtures.py does not cover.

Run:  /usr/bin/python3 scripts/gen_fixtures_conv.py

Writes, in gen_fixtures.py's case format (see its docstring):

    conv_large.json  conv / convTranspose calls large enough to cross the fast path's WebAssembly
                     thresholds (src/kernels/dispatch.ts WASM_MIN_MACS: gather / weight 2048,
                     scatter 16384 multiply-adds), so the fixture replay on the 'fast' path reaches
                     the WebAssembly kernels: transposed convolutions with dilation 1 and
                     stride <= kernel (the sub-pixel kernel) and with stride > kernel or dilation > 1
                     (GEMM + col2im). Each case's "kernel" field says which one dispatch picks.
    conv_grad.json   conv1dInput / conv2dInput / conv3dInput and conv1dWeight / conv2dWeight /
                     conv3dWeight, as torch.nn.grad.conv{1,2,3}d_input / _weight: forward values
                     and the gradients of their own backward pass (they are differentiable).

References: the input and weight gradients are torch.autograd.grad of F.conv{d}d (padding numbers,
per dimension, 'same', 'valid' or per-side pairs through F.pad) with create_graph=True, so their
own backward is PyTorch's double backward; where torch.nn.grad takes the options (symmetric
integer padding) it is called too and must agree.
"""
import os
import sys

import torch
import torch.nn.functional as F
import torch.nn.grad as G

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_fixtures as base  # noqa: E402  (helpers: Writer, rand_t, finish, …)

GENERATOR = 'scripts/gen_fixtures_conv.py'
CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
CONVT = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}
GRAD_INPUT = {1: G.conv1d_input, 2: G.conv2d_input, 3: G.conv3d_input}
GRAD_WEIGHT = {1: G.conv1d_weight, 2: G.conv2d_weight, 3: G.conv3d_weight}
# src/kernels/dispatch.ts: the multiply-adds from which the fast path runs WebAssembly.
WASM_MIN_MACS = {'gather': 2048, 'scatter': 16384, 'weight': 2048}


def write(filename, family, cases, writer):
    os.makedirs(base.OUT_DIR, exist_ok=True)
    path = os.path.join(base.OUT_DIR, filename)
    head = base.json.dumps(
        {'generator': GENERATOR, 'torch': torch.__version__, 'seed': base.SEED, 'family': family, 'count': len(cases)},
        separators=(',', ':'),
    )[:-1]
    with open(path, 'w') as f:
        f.write(head + ',"cases":[\n')
        f.write(',\n'.join(writer.dump(c) for c in cases))
        f.write('\n]}\n')
    return path, os.path.getsize(path)


def prod(xs):
    n = 1
    for v in xs:
        n *= v
    return n


def macs(batch, cy, y_spatial, cx, k, groups):
    """dispatch.ts macs(): multiply-adds of one direction, in the conv view."""
    return batch * cy * prod(y_spatial) * cx * prod(k) // groups


# ----------------------------------------------------------------------------------------------
# conv_large.json

# (d, batch, cin, cout, groups, spatial, kernel, stride, padding, outputPadding, dilation)
TRANSPOSED = [
    # sub-pixel: dilation 1, stride <= kernel
    (2, 1, 8, 4, 1, [8, 8], [4, 4], [2, 2], 1, 0, [1, 1]),  # DCGAN-like k4 s2 p1
    (2, 2, 8, 8, 2, [10, 9], [3, 3], [2, 2], 1, 1, [1, 1]),  # groups, odd k, outputPadding
    (2, 1, 10, 3, 1, [8, 8], [5, 3], [3, 2], [2, 1], [2, 0], [1, 1]),
    (1, 2, 16, 8, 1, [40], [4], [2], 1, 0, [1]),
    (3, 1, 4, 3, 1, [4, 5, 4], [3, 3, 3], [2, 2, 2], 1, 0, [1, 1, 1]),
    (2, 1, 8, 8, 1, [10, 10], [2, 2], [2, 2], 0, 0, [1, 1]),  # U-Net-like k2 s2
    # col2im: stride > kernel, or dilation > 1
    (2, 1, 16, 4, 1, [12, 12], [2, 2], [3, 3], 0, 0, [1, 1]),
    (2, 1, 8, 4, 1, [8, 8], [3, 3], [2, 2], 1, 1, [2, 2]),
    (2, 2, 8, 6, 2, [10, 10], [3, 2], [1, 3], [1, 0], [0, 2], [2, 1]),
    (1, 1, 32, 8, 1, [30], [3], [4], 1, 2, [1]),
    (3, 1, 6, 4, 1, [5, 5, 5], [2, 2, 2], [3, 3, 3], 0, 0, [1, 1, 1]),
    # sub-pixel with large strides (FCN-like: classes of 8 or more residues along x), which splits
    # the border positions off so that no GEMM multiplies a padding zero (src/kernels/wasm/subpixel.ts
    # exactBorders): k = 2s with batch 2, k = 3s, k = s with padding and groups, 1-d, 3-d
    (2, 2, 3, 4, 1, [3, 3], [16, 16], [8, 8], 0, 0, [1, 1]),
    (2, 1, 4, 3, 1, [3, 3], [24, 16], [8, 8], [8, 0], 0, [1, 1]),
    (2, 1, 6, 6, 3, [3, 3], [16, 16], [16, 16], 8, 0, [1, 1]),
    (1, 2, 8, 8, 1, [9], [32], [16], 8, 0, [1]),
    (3, 1, 8, 8, 1, [2, 2, 2], [2, 2, 16], [1, 1, 8], [1, 0, 0], 0, [1, 1, 1]),
    # U-Net k2 s2 with input rows a multiple of the micro-kernel's 8 columns: the GEMM stores the
    # 2 x 2 phases straight into x (src/kernels/wasm/subpixel.ts storesPhases2x2), batch 2, groups 2
    (2, 2, 12, 10, 2, [3, 16], [2, 2], [2, 2], 0, 0, [1, 1]),
]

# (d, batch, cin, cout, groups, spatial, kernel, stride, padding, dilation)
DIRECT = [
    (2, 1, 8, 8, 1, [10, 10], [3, 3], [1, 1], 1, [1, 1]),
    (2, 2, 6, 9, 3, [9, 11], [3, 2], [2, 1], 1, [1, 2]),
    (1, 2, 12, 8, 2, [50], [5], [2], 2, [1]),
    (3, 1, 4, 6, 1, [5, 5, 5], [3, 3, 3], [1, 1, 1], 'same', [1, 1, 1]),
]


def per(d, v):
    return list(v) if isinstance(v, list) else [v] * d


def gen_large(writer):
    rng, g = base.family_rng('conv_large')
    cases = []
    for i, (d, n, cin, cout, groups, spatial, k, stride, pad, out_pad, dil) in enumerate(TRANSPOSED):
        pad_l, op_l = per(d, pad), per(d, out_pad)
        kernel = 'subpixel' if all(x == 1 for x in dil) and all(s <= kk for s, kk in zip(stride, k)) else 'col2im'
        assert macs(n, cin, spatial, cout, k, groups) >= WASM_MIN_MACS['scatter'], i
        x = base.rand_t(g, [n, cin] + spatial).requires_grad_()
        w = base.rand_t(g, [cin, cout // groups] + k).requires_grad_()
        b = base.rand_t(g, [cout]).requires_grad_()
        out = CONVT[d](x, w, b, stride, pad_l, op_l, groups, dil)
        options = {'stride': stride, 'padding': pad, 'outputPadding': out_pad, 'dilation': dil}
        if groups != 1:
            options['groups'] = groups
        case = {
            'name': 'convTranspose%dd/large%02d' % (d, i),
            'op': 'convTranspose%dd' % d,
            'kernel': kernel,
            'args': base.call_args(['input', 'weight'], options, ['bias']),
            'inputs': {'input': writer.tensor(x), 'weight': writer.tensor(w), 'bias': writer.tensor(b)},
        }
        cases.append(base.finish(writer, case, out, {'input': x, 'weight': w, 'bias': b}, g))
    for i, (d, n, cin, cout, groups, spatial, k, stride, pad, dil) in enumerate(DIRECT):
        x = base.rand_t(g, [n, cin] + spatial).requires_grad_()
        w = base.rand_t(g, [cout, cin // groups] + k).requires_grad_()
        b = base.rand_t(g, [cout]).requires_grad_()
        out = CONV[d](x, w, b, stride, pad if isinstance(pad, str) else per(d, pad), dil, groups)
        assert macs(n, cout, list(out.shape[2:]), cin, k, groups) >= WASM_MIN_MACS['gather'], i
        options = {'stride': stride, 'padding': pad, 'dilation': dil}
        if groups != 1:
            options['groups'] = groups
        case = {
            'name': 'conv%dd/large%02d' % (d, i),
            'op': 'conv%dd' % d,
            'args': base.call_args(['input', 'weight'], options, ['bias']),
            'inputs': {'input': writer.tensor(x), 'weight': writer.tensor(w), 'bias': writer.tensor(b)},
        }
        cases.append(base.finish(writer, case, out, {'input': x, 'weight': w, 'bias': b}, g))
    return cases


# ----------------------------------------------------------------------------------------------
# conv_grad.json


def padded_conv(d, x, w, stride, padding, dil, groups):
    """F.conv{d}d with our padding forms: a number, per dimension, 'same', 'valid' or [b, e] pairs."""
    if isinstance(padding, list) and any(isinstance(p, list) for p in padding):
        begin = [p[0] if isinstance(p, list) else p for p in padding]
        end = [p[1] if isinstance(p, list) else p for p in padding]
        return CONV[d](F.pad(x, base.torch_pad_list(begin, end)), w, None, stride, 0, dil, groups)
    return CONV[d](x, w, None, stride, padding, dil, groups)


def random_config(rng, d, kind):
    lim = base.LIMITS[d]
    while True:
        groups, cin, cout = base.channels(rng, lim['c'])
        k = base.per_dim(rng, d, 1, lim['k'])
        stride = [1] * d if kind == 'same' else [base.small_first(rng, 1, 3, 0.4) for _ in range(d)]
        dil = [base.small_first(rng, 1, 2, 0.6) for _ in range(d)]
        n = rng.randint(1, lim['n'])
        spatial = [rng.randint(1, lim['s']) for _ in range(d)]
        if kind == 'number':
            padding = rng.randint(0, 2)
            begin = end = [padding] * d
        elif kind == 'perDim':
            padding = [rng.randint(0, 2) for _ in range(d)]
            begin = end = padding
        elif kind in ('same', 'valid'):
            padding = kind
            total = [dl * (kk - 1) for dl, kk in zip(dil, k)] if kind == 'same' else [0] * d
            begin = [t // 2 for t in total]
            end = [t - t // 2 for t in total]
        elif kind == 'pairs':
            begin = [rng.randint(0, 2) for _ in range(d)]
            end = [rng.randint(0, 2) for _ in range(d)]
            if begin == end:
                end[-1] += 1
            padding = [[b, e] for b, e in zip(begin, end)]
        else:
            padding = None
            begin = end = [0] * d
        out_sp = [(spatial[j] + begin[j] + end[j] - dil[j] * (k[j] - 1) - 1) // stride[j] + 1 for j in range(d)]
        if min(out_sp) < 1:
            continue
        in_shape = [n, cin] + spatial
        if base.numel(in_shape) + cout * cin * base.numel(k) + 2 * n * cout * base.numel(out_sp) > lim['budget']:
            continue
        return groups, cin, cout, k, stride, dil, padding, in_shape, out_sp


def gen_grad(writer, per_d=14):
    rng, g = base.family_rng('conv_grad')
    kinds = ['none', 'number', 'perDim', 'same', 'valid', 'pairs', 'number']
    cases = []
    for which in ('Input', 'Weight'):
        for d in (1, 2, 3):
            for i in range(per_d):
                kind = kinds[i % len(kinds)]
                batched = (i // len(kinds)) % 2 == 0
                groups, cin, cout, k, stride, dil, padding, in_shape, out_sp = random_config(rng, d, kind)
                if not batched:
                    in_shape = [1] + in_shape[1:]
                w_shape = [cout, cin // groups] + k
                options = {}
                base.put(rng, options, 'stride', stride, default=1)
                base.put(rng, options, 'dilation', dil, default=1)
                if padding is not None:
                    options['padding'] = padding
                if groups != 1 or rng.random() < 0.3:
                    options['groups'] = groups
                t_pad = padding if padding is not None else 0
                x = base.rand_t(g, in_shape).requires_grad_()
                w = base.rand_t(g, w_shape).requires_grad_()
                y = padded_conv(d, x, w, stride, t_pad, dil, groups)
                gy = base.rand_t(g, list(y.shape)).requires_grad_()
                squeeze = lambda t: t if batched else t.squeeze(0)  # noqa: E731
                if which == 'Input':
                    (out,) = torch.autograd.grad(y, x, gy, create_graph=True)
                    symmetric = not isinstance(t_pad, str) and not (
                        isinstance(t_pad, list) and any(isinstance(p, list) for p in t_pad)
                    )
                    if symmetric:
                        with torch.no_grad():
                            ref = GRAD_INPUT[d](in_shape, w, gy, stride, t_pad, dil, groups)
                        assert torch.allclose(out, ref, atol=1e-10), 'torch.nn.grad input disagrees'
                    leaves = {'weight': w, 'gradOutput': gy}
                    shape_arg = in_shape if batched else in_shape[1:]
                    args = [{'value': shape_arg}, 'weight', 'gradOutput', {'options': options, 'tensorOptions': []}]
                    inputs = {'weight': writer.tensor(w), 'gradOutput': writer.tensor(squeeze(gy))}
                    out_t = squeeze(out)
                else:
                    (out,) = torch.autograd.grad(y, w, gy, create_graph=True)
                    symmetric = not isinstance(t_pad, str) and not (
                        isinstance(t_pad, list) and any(isinstance(p, list) for p in t_pad)
                    )
                    if symmetric:
                        with torch.no_grad():
                            ref = GRAD_WEIGHT[d](x, w_shape, gy, stride, t_pad, dil, groups)
                        assert torch.allclose(out, ref, atol=1e-10), 'torch.nn.grad weight disagrees'
                    leaves = {'input': x, 'gradOutput': gy}
                    args = ['input', {'value': w_shape}, 'gradOutput', {'options': options, 'tensorOptions': []}]
                    inputs = {'input': writer.tensor(squeeze(x)), 'gradOutput': writer.tensor(squeeze(gy))}
                    out_t = out
                case = {
                    'name': 'conv%dd%s/%03d' % (d, which, i),
                    'op': 'conv%dd%s' % (d, which),
                    'args': args,
                    'inputs': inputs,
                    'note': 'torch.autograd.grad of F.conv%dd (create_graph)%s'
                    % (d, ', equal to torch.nn.grad.conv%dd_%s' % (d, which.lower()) if symmetric else ''),
                }
                grad_up = base.rand_t(g, list(out_t.shape))
                out_t.backward(grad_up)
                case['output'] = writer.tensor(out_t)
                case['gradOutput'] = writer.tensor(grad_up)
                case['grads'] = {
                    nm: writer.tensor(
                        (squeeze if nm != 'weight' else (lambda t: t))(
                            t.grad if t.grad is not None else torch.zeros_like(t)
                        )
                    )
                    for nm, t in leaves.items()
                }
                cases.append(case)
    return cases


def main():
    for filename, family, gen in (('conv_large.json', 'convLarge', gen_large), ('conv_grad.json', 'convGrad', gen_grad)):
        writer = base.Writer()
        cases = gen(writer)
        path, size = write(filename, family, cases, writer)
        ops = {}
        for c in cases:
            ops[c['op']] = ops.get(c['op'], 0) + 1
        print('%-16s %4d cases %8.1f kB  %s' % (filename, len(cases), size / 1024, ops))


if __name__ == '__main__':
    main()
