#!/usr/bin/env python3
"""
PyTorch reference fixtures for test/training.test.ts and test/nn.test.ts.

Run from anywhere:  /usr/bin/python3 scripts/gen_training_fixture.py

Writes test/fixtures/training/:

    initial.safetensors     the state_dict of a small encoder-decoder right after torch.manual_seed
                            (PyTorch's key names, BatchNorm buffers included, num_batches_tracked I64)
    data.safetensors        input (8, 1, 12, 12) and target (8, 1, 12, 12), float32
    adam.safetensors        the state_dict after 20 steps of Adam
    sgd.safetensors         ... of SGD with momentum, nesterov and weight decay
    adamw.safetensors       ... of AdamW with amsgrad
    runs.json               per run: optimiser options and the loss at every step; the float32 drift
                            (float32 run against the same run in float64) that sets the tolerance
    losses.json             mseLoss / l1Loss / binaryCrossEntropyWithLogits / crossEntropy cases with
                            every reduction: inputs, output, gradients
    batchnorm.json          BatchNorm1d / 2d forward and backward in training and eval mode, with the
                            running statistics after the step

The model (module names are the state_dict prefixes):

    encoder  Sequential(Conv2d(1, 8, 3, padding=1, bias=False), BatchNorm2d(8), ReLU())   12 x 12
    pool     MaxPool2d(2, return_indices=True)                                             6 x 6
    middle   Sequential(Conv2d(8, 16, 3, padding=1), ReLU(),
                        Conv2d(16, 16, 3, stride=2, padding=1), ReLU())                    3 x 3
    up       ConvTranspose2d(16, 8, 3, stride=2, padding=1, bias=False), called with
             output_size = the pooled size                                                 6 x 6
    bn       BatchNorm2d(8), then ReLU
    unpool   MaxUnpool2d(2) with the pooling's indices                                     12 x 12
    decoder  ConvTranspose2d(8, 1, 3, padding=1)                                           12 x 12

Convolutions followed by batch norm have no bias: batch norm removes a per-channel constant, so that
bias's gradient is zero up to rounding, and Adam would turn the rounding noise into steps of +-lr.

Safetensors is written and read here with struct + json (the `safetensors` package is not
installed). The writer reproduces the Rust implementation byte for byte: tensors sorted by
descending dtype alignment, then by name; a compact JSON header with `__metadata__` first and the
tensors in offset order; the header padded with spaces to a multiple of 8 bytes.
"""
import json
import math
import os
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, 'test', 'fixtures', 'training')
STEPS = 20

# ----------------------------------------------------------------------------------------------
# safetensors

# Rust's Dtype enum order (increasing alignment); the writer sorts by it, descending.
DTYPE_ORDER = ['BOOL', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'I16', 'U16', 'F16', 'BF16', 'I32', 'U32',
               'F32', 'F64', 'I64', 'U64']
TORCH_TO_ST = {torch.float32: ('F32', '<f'), torch.float64: ('F64', '<d'), torch.int64: ('I64', '<q'),
               torch.int32: ('I32', '<i')}
ST_TO_TORCH = {v[0]: (k, v[1]) for k, v in TORCH_TO_ST.items()}


def save_safetensors(tensors, path, metadata=None):
    items = []
    for name, t in tensors.items():
        dtype, fmt = TORCH_TO_ST[t.dtype]
        flat = t.detach().contiguous().reshape(-1).tolist()
        items.append((name, dtype, list(t.shape), struct.pack('<%d%s' % (len(flat), fmt[1]), *flat)))
    items.sort(key=lambda it: (-DTYPE_ORDER.index(it[1]), it[0].encode('utf-8')))
    header = {}
    if metadata is not None:
        header['__metadata__'] = metadata
    offset = 0
    for name, dtype, shape, data in items:
        header[name] = {'dtype': dtype, 'shape': shape, 'data_offsets': [offset, offset + len(data)]}
        offset += len(data)
    text = json.dumps(header, separators=(',', ':'), ensure_ascii=False).encode('utf-8')
    text += b' ' * ((8 - len(text) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for item in items:
            f.write(item[3])


def load_safetensors(path):
    with open(path, 'rb') as f:
        buf = f.read()
    (n,) = struct.unpack('<Q', buf[:8])
    header = json.loads(buf[8:8 + n].decode('utf-8'))
    header.pop('__metadata__', None)
    out = {}
    for name, info in header.items():
        dtype, fmt = ST_TO_TORCH[info['dtype']]
        s, e = info['data_offsets']
        raw = buf[8 + n + s:8 + n + e]
        count = math.prod(info['shape'])
        values = struct.unpack('<%d%s' % (count, fmt[1]), raw)
        out[name] = torch.tensor(values, dtype=dtype).reshape(info['shape'])
    return out


# ----------------------------------------------------------------------------------------------
# JSON helpers


def f32(v):
    return struct.unpack('<f', struct.pack('<f', v))[0]


def fmt32(v):
    """Shortest decimal that reads back as the same float32."""
    v = f32(v)
    if v == 0:
        return 0
    for p in range(1, 10):
        s = '%.*g' % (p, v)
        if f32(float(s)) == v:
            return float(s)
    return float('%.9g' % v)


def T(t):
    t = t.detach().contiguous()
    if t.dtype in (torch.int64, torch.int32):
        return {'shape': list(t.shape), 'dtype': 'int32', 'data': [int(v) for v in t.reshape(-1).tolist()]}
    return {'shape': list(t.shape), 'data': [fmt32(v) for v in t.reshape(-1).tolist()]}


def write_json(name, obj):
    path = os.path.join(OUT_DIR, name)
    with open(path, 'w') as f:
        json.dump(obj, f, separators=(',', ':'))
        f.write('\n')
    return path


# ----------------------------------------------------------------------------------------------
# The encoder-decoder


class EncoderDecoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU())
        self.pool = nn.MaxPool2d(2, return_indices=True)
        self.middle = nn.Sequential(
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 16, 3, stride=2, padding=1), nn.ReLU())
        self.up = nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(8)
        self.unpool = nn.MaxUnpool2d(2)
        self.decoder = nn.ConvTranspose2d(8, 1, 3, padding=1)

    def forward(self, x):
        h = self.encoder(x)
        p, indices = self.pool(h)
        m = self.middle(p)
        u = F.relu(self.bn(self.up(m, output_size=p.shape[2:])))
        return self.decoder(self.unpool(u, indices))


RUNS = {
    'adam': (torch.optim.Adam, dict(lr=1e-2, betas=(0.9, 0.999), eps=1e-8)),
    'sgd': (torch.optim.SGD, dict(lr=0.05, momentum=0.9, dampening=0, nesterov=True, weight_decay=1e-3)),
    'adamw': (torch.optim.AdamW, dict(lr=1e-2, betas=(0.8, 0.99), eps=1e-7, weight_decay=0.05, amsgrad=True)),
}

# our option names for runs.json
OPTION_NAMES = {'lr': 'lr', 'betas': 'betas', 'eps': 'eps', 'momentum': 'momentum', 'dampening': 'dampening',
                'nesterov': 'nesterov', 'weight_decay': 'weightDecay', 'amsgrad': 'amsgrad'}


def train(initial, x, target, run, dtype):
    model = EncoderDecoder().to(dtype)
    model.load_state_dict(initial)
    model.train()
    cls, options = RUNS[run]
    opt = cls(model.parameters(), **options)
    xs, ts = x.to(dtype), target.to(dtype)
    losses = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = F.mse_loss(model(xs), ts)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, model.state_dict()


def training_fixture():
    torch.manual_seed(0)
    model = EncoderDecoder()
    initial = {k: v.clone() for k, v in model.state_dict().items()}
    g = torch.Generator().manual_seed(1)
    x = torch.randn(8, 1, 12, 12, generator=g)
    # a smooth target: the input blurred by a 3 x 3 box filter, so the autoencoder has something to learn
    target = F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)
    save_safetensors(initial, os.path.join(OUT_DIR, 'initial.safetensors'), {'format': 'pt'})
    save_safetensors({'input': x, 'target': target}, os.path.join(OUT_DIR, 'data.safetensors'))

    # the writer round-trips, and PyTorch loads what it wrote
    back = load_safetensors(os.path.join(OUT_DIR, 'initial.safetensors'))
    assert list(sorted(back)) == list(sorted(initial))
    assert all(torch.equal(back[k], initial[k]) for k in initial)
    EncoderDecoder().load_state_dict(back)

    runs = {}
    for run, (cls, options) in RUNS.items():
        losses, final = train(initial, x, target, run, torch.float32)
        losses64, final64 = train(initial, x, target, run, torch.float64)
        save_safetensors(final, os.path.join(OUT_DIR, run + '.safetensors'))
        loss_drift = max(abs(a - b) / abs(b) for a, b in zip(losses, losses64))
        weight_drift = max(
            ((final[k].double() - final64[k]).abs().max().item() for k in final if final[k].is_floating_point()))
        runs[run] = {
            'optimizer': cls.__name__,
            'options': {OPTION_NAMES[k]: (list(v) if isinstance(v, tuple) else v) for k, v in options.items()},
            'losses': losses,
            'float32Drift': {'lossRelative': loss_drift, 'weightAbsolute': weight_drift},
        }
        print('%-6s loss %.6f -> %.6f   float32 vs float64: loss rel %.2e, weights abs %.2e'
              % (run, losses[0], losses[-1], loss_drift, weight_drift))
    write_json('runs.json', {
        'generator': 'scripts/gen_training_fixture.py',
        'torch': torch.__version__,
        'steps': STEPS,
        'keys': list(initial.keys()),
        'runs': runs,
    })


# ----------------------------------------------------------------------------------------------
# Loss functions


def loss_cases():
    g = torch.Generator().manual_seed(2)
    cases = []

    def randn(*shape):
        return torch.randn(*shape, generator=g, dtype=torch.float64).float().double()

    def add(name, fn, inputs, options, call):
        ins = {k: (v.clone().requires_grad_(v.is_floating_point() and k in ('input', 'target'))
                   if isinstance(v, torch.Tensor) else v) for k, v in inputs.items()}
        out = call(**ins)
        gout = randn(*out.shape) if out.dim() > 0 else torch.tensor(1.0, dtype=torch.float64)
        out.backward(gout)
        case = {'name': name, 'fn': fn, 'options': options,
                'inputs': {k: T(v) for k, v in inputs.items()}, 'output': T(out), 'gradOutput': T(gout),
                'grads': {k: T(v.grad) for k, v in ins.items() if isinstance(v, torch.Tensor) and v.grad is not None}}
        cases.append(case)

    for red in ['mean', 'sum', 'none']:
        x, t = randn(3, 4, 5), randn(3, 4, 5)
        add('mse/' + red, 'mseLoss', {'input': x, 'target': t}, {'reduction': red},
            lambda input, target: F.mse_loss(input, target, reduction=red))
        add('l1/' + red, 'l1Loss', {'input': x, 'target': t}, {'reduction': red},
            lambda input, target: F.l1_loss(input, target, reduction=red))
        # logits up to +-40 to exercise the stable formula; targets in [0, 1]
        x = randn(4, 6) * 15
        t = torch.rand(4, 6, generator=g, dtype=torch.float64).float().double()
        add('bce/' + red, 'binaryCrossEntropyWithLogits', {'input': x, 'target': t}, {'reduction': red},
            lambda input, target: F.binary_cross_entropy_with_logits(input, target, reduction=red))
        w, pw = torch.rand(6, generator=g, dtype=torch.float64).float().double(), torch.tensor(
            [0.5, 1.0, 2.0, 3.0, 0.25, 1.5], dtype=torch.float64)
        add('bce-weights/' + red, 'binaryCrossEntropyWithLogits',
            {'input': x, 'target': t, 'weight': w, 'posWeight': pw}, {'reduction': red},
            lambda input, target, weight, posWeight: F.binary_cross_entropy_with_logits(
                input, target, weight=weight, pos_weight=posWeight, reduction=red))
        x = randn(5, 4) * 3
        t = torch.tensor([0, 3, 1, 1, 2])
        add('ce/' + red, 'crossEntropy', {'input': x, 'target': t}, {'reduction': red},
            lambda input, target: F.cross_entropy(input, target, reduction=red))
        w = torch.tensor([1.0, 0.5, 2.0, 0.25], dtype=torch.float64)
        t2 = torch.tensor([0, 3, -100, 1, 2])
        add('ce-weight-ignore/' + red, 'crossEntropy', {'input': x, 'target': t2, 'weight': w},
            {'reduction': red, 'ignoreIndex': -100},
            lambda input, target, weight: F.cross_entropy(input, target, weight=weight, reduction=red))
        # segmentation: (N, C, H, W) logits, (N, H, W) targets, one ignored label
        x = randn(2, 3, 4, 5)
        t = torch.randint(0, 3, (2, 4, 5), generator=g)
        t[0, 1, 2] = 255
        add('ce-spatial/' + red, 'crossEntropy', {'input': x, 'target': t}, {'reduction': red, 'ignoreIndex': 255},
            lambda input, target: F.cross_entropy(input, target, ignore_index=255, reduction=red))
        # class probabilities as target
        p = torch.softmax(randn(3, 4), 1)
        x = randn(3, 4)
        add('ce-probabilities/' + red, 'crossEntropy', {'input': x, 'target': p}, {'reduction': red},
            lambda input, target: F.cross_entropy(input, target, reduction=red))
    x = randn(4) * 2
    add('ce-unbatched/mean', 'crossEntropy', {'input': x, 'target': torch.tensor(2)}, {'reduction': 'mean'},
        lambda input, target: F.cross_entropy(input, target))
    write_json('losses.json', {'generator': 'scripts/gen_training_fixture.py', 'torch': torch.__version__,
                               'cases': cases})
    print('losses.json: %d cases' % len(cases))


# ----------------------------------------------------------------------------------------------
# Batch norm


def batchnorm_cases():
    g = torch.Generator().manual_seed(3)
    cases = []
    configs = [
        ('BatchNorm1d', (6, 3), dict()),
        ('BatchNorm1d', (4, 3, 5), dict(momentum=0.3)),
        ('BatchNorm2d', (3, 4, 3, 5), dict()),
        ('BatchNorm2d', (2, 3, 4, 4), dict(eps=1e-3, affine=False)),
        ('BatchNorm2d', (2, 3, 4, 4), dict(momentum=None)),
        ('BatchNorm2d', (2, 3, 2, 3), dict(track_running_stats=False)),
    ]
    names = {'eps': 'eps', 'momentum': 'momentum', 'affine': 'affine', 'track_running_stats': 'trackRunningStats'}
    for cls_name, shape, options in configs:
        for training in [True, False]:
            bn = getattr(nn, cls_name)(shape[1], **options).double()
            with torch.no_grad():
                if bn.weight is not None:
                    bn.weight.copy_(torch.rand(shape[1], generator=g, dtype=torch.float64).float() + 0.5)
                    bn.bias.copy_(torch.randn(shape[1], generator=g, dtype=torch.float64).float())
                if bn.running_mean is not None:
                    bn.running_mean.copy_(torch.randn(shape[1], generator=g, dtype=torch.float64).float())
                    bn.running_var.copy_(torch.rand(shape[1], generator=g, dtype=torch.float64).float() + 0.5)
                    bn.num_batches_tracked.fill_(2)
            before = {k: v.clone() for k, v in bn.state_dict().items()}
            x = (torch.randn(*shape, generator=g, dtype=torch.float64) * 2 + 1).float().double().requires_grad_()
            bn.train(training)
            y = bn(x)
            gout = torch.randn(*y.shape, generator=g, dtype=torch.float64).float().double()
            y.backward(gout)
            cases.append({
                'name': '%s%s/%s' % (cls_name, list(shape), 'train' if training else 'eval'),
                'module': cls_name,
                'numFeatures': shape[1],
                'options': {names[k]: v for k, v in options.items()},
                'training': training,
                'before': {k: T(v) for k, v in before.items()},
                'input': T(x),
                'output': T(y),
                'gradOutput': T(gout),
                'grads': {'input': T(x.grad), **{k: T(p.grad) for k, p in bn.named_parameters()}},
                'after': {k: T(v) for k, v in bn.state_dict().items()},
            })
    write_json('batchnorm.json', {'generator': 'scripts/gen_training_fixture.py', 'torch': torch.__version__,
                                  'cases': cases})
    print('batchnorm.json: %d cases' % len(cases))


if __name__ == '__main__':
    os.makedirs(OUT_DIR, exist_ok=True)
    training_fixture()
    loss_cases()
    batchnorm_cases()
