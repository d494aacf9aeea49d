#!/usr/bin/env python3
"""
PyTorch reference fixtures for test/segment-parity.test.ts: 20 training steps of SegNet and of
FCN-8s (the builders of src/nn/segmentation.ts, written here again in PyTorch with the same module
names, so the state_dicts match key for key).

Run from anywhere:  /usr/bin/python3 scripts/gen_segment_fixture.py

Writes test/fixtures/segment/:

    data.safetensors                 input (4, 1, 16, 16) float32 and labels (4, 16, 16) int64
    <model>-initial.safetensors      the state_dict right after torch.manual_seed(0) and the model's
                                     own initialisation (FCN-8s: score layers zero, upsampling
                                     transposed convs bilinear on the diagonal)
    <model>-final.safetensors        the state_dict after 20 steps of Adam on cross entropy
    runs.json                        per model: the loss at every step and the float32 drift (the same
                                     run in float64) that sets the tolerance
    concat.json                      torch.cat cases: inputs, dim, output, a gradient of the output and
                                     the gradient of every input

The models (encoder channels 4, 8, 8; 5 classes; 16 x 16 -> 2 x 2 at the bottleneck):

    encoder.stage<i>      Sequential(Conv2d(c_in, c_i, 3, padding=1, bias=False), BatchNorm2d(c_i), ReLU()),
                          then MaxPool2d(2, return_indices=True)
    SegNet                per stage, deep first: MaxUnpool2d(2) with the stage's indices,
                          decoder.stage<i> = the same block (c_i -> c_{i-1}, c_0 for the first stage);
                          classifier = Conv2d(c_0, classes, 3, padding=1)
    FCN-8s                score_fr, score_pool4, score_pool3 = Conv2d(c, classes, 1) on the pooled
                          features of stages 3, 2, 1 (zero-initialised); upscore2, upscore_pool4,
                          upscore8 = ConvTranspose2d(classes, classes, 4, stride=2, padding=1,
                          bias=False) initialised to bilinear upsampling per class; each called with
                          output_size = the size it must reach

The bilinear kernel is written out here from its definition (Caffe's BilinearFiller / FCN's
surgery.interp), not taken from the library.
"""
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_training_fixture import save_safetensors  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, 'test', 'fixtures', 'segment')
STEPS = 20
CHANNELS = [4, 8, 8]
CLASSES = 5
ADAM = dict(lr=1e-2, betas=(0.9, 0.999), eps=1e-8)


def block(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


class Encoder(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.n = len(channels)
        for i, c in enumerate(channels):
            setattr(self, 'stage%d' % (i + 1), block(1 if i == 0 else channels[i - 1], c))

    def forward(self, x):
        features, pooled, indices = [], [], []
        for i in range(self.n):
            f = getattr(self, 'stage%d' % (i + 1))(x)
            p, ind = F.max_pool2d(f, 2, return_indices=True)
            features.append(f)
            pooled.append(p)
            indices.append(ind)
            x = p
        return features, pooled, indices


class Stages(nn.Module):
    pass


class SegNet(nn.Module):
    def __init__(self, channels, classes):
        super().__init__()
        self.encoder = Encoder(channels)
        self.decoder = Stages()
        for i in reversed(range(len(channels))):
            setattr(self.decoder, 'stage%d' % (i + 1), block(channels[i], channels[max(i - 1, 0)]))
        self.classifier = nn.Conv2d(channels[0], classes, 3, padding=1)

    def forward(self, x):
        features, pooled, indices = self.encoder(x)
        h = pooled[-1]
        for i in reversed(range(len(features))):
            h = F.max_unpool2d(h, indices[i], 2, output_size=features[i].shape[2:])
            h = getattr(self.decoder, 'stage%d' % (i + 1))(h)
        return self.classifier(h)


def bilinear_kernel(k):
    """Caffe's BilinearFiller: f = ceil(k / 2), c = (k - 1) / (2 f), w(x, y) = (1 - |x/f - c|)(1 - |y/f - c|)."""
    f = (k + 1) // 2
    c = (k - 1) / (2.0 * f)
    og = torch.arange(k, dtype=torch.float64)
    p = 1 - torch.abs(og / f - c)
    return p[:, None] * p[None, :]


class FCN8s(nn.Module):
    def __init__(self, channels, classes):
        super().__init__()
        self.encoder = Encoder(channels)
        S = len(channels)
        self.score_fr = nn.Conv2d(channels[S - 1], classes, 1)
        self.score_pool4 = nn.Conv2d(channels[S - 2], classes, 1)
        self.score_pool3 = nn.Conv2d(channels[S - 3], classes, 1)
        factor = 2 ** (S - 2)
        self.upscore2 = nn.ConvTranspose2d(classes, classes, 4, stride=2, padding=1, bias=False)
        self.upscore_pool4 = nn.ConvTranspose2d(classes, classes, 4, stride=2, padding=1, bias=False)
        self.upscore8 = nn.ConvTranspose2d(classes, classes, 2 * factor - factor % 2, stride=factor,
                                           padding=(factor - 1 + 1) // 2, bias=False)
        with torch.no_grad():
            for m in (self.score_fr, self.score_pool4, self.score_pool3):
                m.weight.zero_()
                m.bias.zero_()
            for m in (self.upscore2, self.upscore_pool4, self.upscore8):
                k = m.weight.shape[2]
                m.weight.zero_()
                for c in range(classes):
                    m.weight[c, c] = bilinear_kernel(k).float()

    def forward(self, x):
        features, pooled, _ = self.encoder(x)
        p4, p3 = pooled[-2], pooled[-3]
        h = self.upscore2(self.score_fr(pooled[-1]), output_size=p4.shape[2:])
        h = h + self.score_pool4(p4)
        h = self.upscore_pool4(h, output_size=p3.shape[2:])
        h = h + self.score_pool3(p3)
        return self.upscore8(h, output_size=features[0].shape[2:])


MODELS = {'segnet': SegNet, 'fcn8s': FCN8s}


def train(cls, initial, x, labels, dtype):
    model = cls(CHANNELS, CLASSES).to(dtype)
    model.load_state_dict(initial)
    model.train()
    opt = torch.optim.Adam(model.parameters(), **ADAM)
    xs = x.to(dtype)
    losses = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = F.cross_entropy(model(xs), labels)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, model.state_dict()


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    g = torch.Generator().manual_seed(1)
    # blobs on a dark background, labelled by which quadrant-ish pattern they belong to, so there is
    # something to learn; labels 0..CLASSES-1
    x = torch.rand(4, 1, 16, 16, generator=g)
    labels = torch.randint(0, CLASSES, (4, 16, 16), generator=g)
    labels[x[:, 0] < 0.5] = CLASSES - 1
    save_safetensors({'input': x, 'labels': labels}, os.path.join(OUT_DIR, 'data.safetensors'))
    runs = {}
    for name, cls in MODELS.items():
        torch.manual_seed(0)
        model = cls(CHANNELS, CLASSES)
        initial = {k: v.clone() for k, v in model.state_dict().items()}
        save_safetensors(initial, os.path.join(OUT_DIR, name + '-initial.safetensors'), {'format': 'pt'})
        losses, final = train(cls, initial, x, labels, torch.float32)
        losses64, final64 = train(cls, initial, x, labels, torch.float64)
        save_safetensors(final, os.path.join(OUT_DIR, name + '-final.safetensors'), {'format': 'pt'})
        loss_drift = max(abs(a - b) / abs(b) for a, b in zip(losses, losses64))
        weight_drift = max((final[k].double() - final64[k]).abs().max().item()
                           for k in final if final[k].is_floating_point())
        runs[name] = {'losses': losses, 'keys': list(initial.keys()),
                      'float32Drift': {'lossRelative': loss_drift, 'weightAbsolute': weight_drift}}
        print('%-7s loss %.6f -> %.6f   float32 vs float64: loss rel %.2e, weights abs %.2e'
              % (name, losses[0], losses[-1], loss_drift, weight_drift))
    with open(os.path.join(OUT_DIR, 'runs.json'), 'w') as f:
        json.dump({'generator': 'scripts/gen_segment_fixture.py', 'torch': torch.__version__, 'steps': STEPS,
                   'channels': CHANNELS, 'numClasses': CLASSES,
                   'adam': {'lr': ADAM['lr'], 'betas': list(ADAM['betas']), 'eps': ADAM['eps']}, 'runs': runs},
                  f, indent=1)
        f.write('\n')


def concat_cases():
    from gen_training_fixture import T
    g = torch.Generator().manual_seed(4)
    cases = []
    for shapes, dim in [([(2, 3, 4, 5), (2, 1, 4, 5), (2, 2, 4, 5)], 1), ([(3, 4), (2, 4)], 0), ([(2, 3, 1), (2, 3, 2)], -1),
                        ([(1, 2, 3, 3), (1, 2, 3, 3)], 2)]:
        xs = [torch.randn(*s, generator=g, dtype=torch.float64).float().double().requires_grad_() for s in shapes]
        y = torch.cat(xs, dim)
        gy = torch.randn(*y.shape, generator=g, dtype=torch.float64).float().double()
        y.backward(gy)
        cases.append({'dim': dim, 'inputs': [T(v) for v in xs], 'output': T(y), 'gradOutput': T(gy),
                      'grads': [T(v.grad) for v in xs]})
    with open(os.path.join(OUT_DIR, 'concat.json'), 'w') as f:
        json.dump({'generator': 'scripts/gen_segment_fixture.py', 'torch': torch.__version__, 'cases': cases}, f)
        f.write('\n')


if __name__ == '__main__':
    main()
    concat_cases()
