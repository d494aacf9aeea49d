#!/usr/bin/env python3
"""
scikit-image 0.19 / NumPy references for test/restoration.test.ts and test/fft.test.ts.

Run from anywhere:  /usr/bin/python3 scripts/gen_restoration_fixtures.py

Writes (seeded: re-running writes the same files)

    test/fixtures/restoration/fft.json                 numpy.fft.fftn of random complex arrays
                                                        (1-3 dims, lengths with factors 2, 3, 5,
                                                        7, large primes for Bluestein)
    test/fixtures/restoration/richardson_lucy.json     skimage.restoration.richardson_lucy
    test/fixtures/restoration/wiener.json              skimage.restoration.wiener
    test/fixtures/restoration/unsupervised_wiener.json skimage.restoration.unsupervised_wiener
                                                        over several seeds (see below)
    test/fixtures/restoration/wiener_1d.json,          the 1-D methods: scikit-image on the
    test/fixtures/restoration/unsupervised_wiener_1d.json  signal as a (1, N) image with the 1-D
                                                        Laplacian (see the end of this file)

Case format: {"name", "image": T, "psf": T, "options": {camelCase options of our API},
"output": T} with T = {"shape", "dtype": "float32" | "float64", "data": [...]}. Images are crops
of skimage.data pictures (camera, coins, moon, astronaut in grey) as float in [0, 1], blurred
with the PSF by scipy.signal.convolve(mode='same') and, in some cases, given Poisson or Gaussian
noise. float32 cases hand float32 arrays to scikit-image, which then computes in float32 (its
_supported_float_type), so the test compares with float32 results; float64 cases likewise.

unsupervised_wiener draws from numpy's Generator(PCG64) (normal and gamma variates); its random
chain is not reproduced by our sampler, so the fixture stores the estimates of RUNS seeds and the
test requires our estimate to be as close to their mean as scikit-image's own runs are.
"""
import json
import os

import numpy as np
import scipy.signal
import skimage
from skimage import color, data, img_as_float
from skimage.restoration import richardson_lucy, unsupervised_wiener, wiener

assert skimage.__version__.startswith('0.19'), skimage.__version__

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'restoration')
os.makedirs(ROOT, exist_ok=True)
rng = np.random.default_rng(20261206)

PICTURES = {
    'camera': img_as_float(data.camera()),
    'coins': img_as_float(data.coins()),
    'moon': img_as_float(data.moon()),
    'astronaut': color.rgb2gray(data.astronaut()),
}


def t(a):
    a = np.asarray(a)
    dtype = 'float32' if a.dtype == np.float32 else 'float64'
    return {'shape': list(a.shape), 'dtype': dtype, 'data': [float(v) for v in a.ravel()]}


def crop(shape):
    name = rng.choice(sorted(PICTURES))
    pic = PICTURES[name]
    if len(shape) == 1:
        r = rng.integers(0, pic.shape[0])
        c = rng.integers(0, pic.shape[1] - shape[0])
        return name, pic[r, c:c + shape[0]].copy()
    if len(shape) == 2:
        r = rng.integers(0, pic.shape[0] - shape[0])
        c = rng.integers(0, pic.shape[1] - shape[1])
        return name, pic[r:r + shape[0], c:c + shape[1]].copy()
    # 3-D: consecutive rows of 2-D crops stacked (a smooth volume)
    r = rng.integers(0, pic.shape[0] - shape[0] * 3 - shape[1])
    c = rng.integers(0, pic.shape[1] - shape[2])
    return name, np.stack([pic[r + 3 * i:r + 3 * i + shape[1], c:c + shape[2]] for i in range(shape[0])])


def gaussian_psf(shape, sigma):
    grids = np.meshgrid(*[np.arange(n) - (n - 1) / 2 for n in shape], indexing='ij')
    g = np.exp(-sum(x * x for x in grids) / (2 * sigma * sigma))
    return g / g.sum()


def psf_of(kind, ndim):
    if kind == 'gauss-odd':
        n = int(rng.choice([3, 5, 7]))
        return gaussian_psf([n] * ndim, float(rng.uniform(0.7, 2.0)))
    if kind == 'box-even':
        n = int(rng.choice([2, 4]))
        return np.ones([n] * ndim) / n ** ndim
    if kind == 'random-even':
        shape = [int(rng.choice([2, 4, 6])) for _ in range(ndim)]
        p = rng.uniform(0.1, 1.0, shape)
        return p / p.sum()
    if kind == 'random-mixed':
        shape = [int(rng.choice([2, 3, 4, 5])) for _ in range(ndim)]
        p = rng.uniform(0.1, 1.0, shape)
        return p / p.sum()
    if kind == 'motion':
        n = int(rng.choice([5, 6, 9]))
        p = np.zeros([n] * ndim)
        for i in range(n):
            p[(i,) * ndim] = 1.0
        return p / p.sum()
    raise ValueError(kind)


def degrade(img, psf, noise):
    b = scipy.signal.convolve(img, psf, mode='same')
    if noise == 'poisson':
        b = rng.poisson(np.clip(b, 0, None) * 255) / 255.0
    elif noise == 'gauss':
        b = b + 0.01 * rng.standard_normal(b.shape)
    return b


def write(name, cases):
    path = os.path.join(ROOT, name)
    with open(path, 'w') as f:
        json.dump({'generator': 'scripts/gen_restoration_fixtures.py',
                   'skimage': skimage.__version__, 'numpy': np.__version__, 'cases': cases},
                  f, separators=(',', ':'))
    print(f'{path}: {len(cases)} cases')


# ---------------------------------------------------------------- FFT
fft_cases = []
for shape in [[1], [2], [3], [4], [5], [6], [7], [8], [9], [12], [15], [16], [25], [27], [30],
              [32], [37], [49], [60], [64], [97], [101], [121], [128], [210], [5, 7], [16, 12],
              [31, 8], [3, 4, 5], [6, 1, 10]]:
    x = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    y = np.fft.fftn(x)
    fft_cases.append({'name': f'fftn/{"x".join(map(str, shape))}', 'shape': shape,
                      're': [float(v) for v in x.real.ravel()], 'im': [float(v) for v in x.imag.ravel()],
                      'outRe': [float(v) for v in y.real.ravel()], 'outIm': [float(v) for v in y.imag.ravel()]})
write('fft.json', fft_cases)

# ---------------------------------------------------------------- Richardson-Lucy
rl_cases = []
configs = []
for kind in ['gauss-odd', 'box-even', 'random-even', 'random-mixed', 'motion']:
    for dtype in [np.float32, np.float64]:
        configs.append((2, kind, dtype))
for kind in ['gauss-odd', 'box-even', 'random-mixed']:
    configs.append((1, kind, np.float32))
    configs.append((3, kind, np.float32))
configs += [(2, 'gauss-odd', np.float32)] * 4 + [(2, 'random-even', np.float32)] * 4
for i, (ndim, kind, dtype) in enumerate(configs):
    shape = {1: [int(rng.integers(20, 60))],
             2: [int(rng.integers(12, 30)), int(rng.integers(12, 30))],
             3: [int(rng.integers(4, 8)), int(rng.integers(6, 11)), int(rng.integers(6, 11))]}[ndim]
    pic, img = crop(shape)
    psf = psf_of(kind, ndim)
    noise = str(rng.choice(['none', 'poisson', 'gauss']))
    blurred = degrade(img, psf, noise).astype(dtype)
    psf = psf.astype(dtype)
    options = {}
    it = int(rng.choice([1, 3, 10, 30, 50]))
    if it != 50 or rng.uniform() < 0.5:
        options['iterations'] = it
    if rng.uniform() < 0.35:
        options['clip'] = False
    if rng.uniform() < 0.3:
        options['filterEpsilon'] = float(rng.choice([1e-3, 0.05, 0.2]))
    out = richardson_lucy(blurred, psf, num_iter=options.get('iterations', 50),
                          clip=options.get('clip', True), filter_epsilon=options.get('filterEpsilon'))
    assert out.dtype == dtype
    rl_cases.append({'name': f'richardsonLucy/{i:02d} {ndim}-d {kind} {np.dtype(dtype).name} {pic} noise={noise}',
                     'image': t(blurred), 'psf': t(psf), 'options': options, 'output': t(out)})
# noise that makes the estimate exceed 1, so clip acts
img = np.clip(crop([20, 20])[1] * 1.6, 0, 1.4)
psf = gaussian_psf([5, 5], 1.2)
b = degrade(img, psf, 'none').astype(np.float32)
for clip in [True, False]:
    out = richardson_lucy(b, psf.astype(np.float32), num_iter=20, clip=clip)
    rl_cases.append({'name': f'richardsonLucy/bright clip={clip}', 'image': t(b), 'psf': t(psf.astype(np.float32)),
                     'options': {'iterations': 20, 'clip': clip}, 'output': t(out)})
write('richardson_lucy.json', rl_cases)

# ---------------------------------------------------------------- Wiener
LAPLACE_CUSTOM = np.array([[0, -1, 0], [-1, 4, -1], [0, -1, 0]], dtype=float)
w_cases = []
for i in range(24):
    shape = [int(rng.integers(10, 28)), int(rng.integers(10, 28))]
    if i % 6 == 0:
        shape = [shape[0], shape[0]]
    pic, img = crop(shape)
    kind = ['gauss-odd', 'box-even', 'random-even', 'random-mixed', 'motion'][i % 5]
    psf = psf_of(kind, 2)
    dtype = np.float32 if i % 3 else np.float64
    noise = str(rng.choice(['none', 'poisson', 'gauss']))
    blurred = degrade(img, psf, noise).astype(dtype)
    psf = psf.astype(dtype)
    options = {'balance': float(rng.choice([0.001, 0.01, 0.1, 1.0, 10.0, 1100.0]))}
    reg = None
    r = rng.uniform()
    if r < 0.2:
        reg = LAPLACE_CUSTOM.astype(dtype)
    elif r < 0.35:
        reg = rng.uniform(-1, 1, [int(rng.integers(1, 4)), int(rng.integers(1, 4))]).astype(dtype)
    if rng.uniform() < 0.3:
        options['isReal'] = False
    if rng.uniform() < 0.35:
        options['clip'] = False
    out = wiener(blurred, psf, options['balance'], reg=reg, is_real=options.get('isReal', True),
                 clip=options.get('clip', True))
    if not options.get('isReal', True):
        # is_real=False returns the complex inverse transform: its imaginary part is rounding
        assert np.iscomplexobj(out) and np.abs(out.imag).max() < 1e-4, np.abs(out.imag).max()
        out = out.real
    assert out.dtype == dtype, (out.dtype, dtype)
    case = {'name': f'wiener/{i:02d} {kind} {np.dtype(dtype).name} {pic} noise={noise}{" reg" if reg is not None else ""}',
            'image': t(blurred), 'psf': t(psf), 'options': options, 'output': t(out)}
    if reg is not None:
        case['reg'] = t(reg)
    w_cases.append(case)
write('wiener.json', w_cases)

# ---------------------------------------------------------------- unsupervised Wiener
RUNS = 8
u_cases = []
for i, (shape, kind, dtype) in enumerate([([32, 32], 'gauss-odd', np.float64), ([24, 30], 'box-even', np.float32),
                                          ([28, 28], 'random-mixed', np.float32)]):
    pic, img = crop(shape)
    psf = psf_of(kind, 2)
    blurred = degrade(img, psf, 'gauss').astype(dtype)
    psf = psf.astype(dtype)
    outs, noise, prior, iters = [], [], [], []
    for seed in range(RUNS):
        out, chains = unsupervised_wiener(blurred, psf, random_state=seed)
        assert out.dtype == dtype
        outs.append(out.astype(np.float64))
        noise.append(float(np.mean(chains['noise'][-10:])))
        prior.append(float(np.mean(chains['prior'][-10:])))
        iters.append(len(chains['noise']) - 1)
    mean = np.mean(outs, axis=0)
    spread = [float(np.sqrt(np.mean((o - mean) ** 2))) for o in outs]
    u_cases.append({'name': f'unsupervisedWiener/{i} {kind} {np.dtype(dtype).name} {pic}',
                    'image': t(blurred), 'psf': t(psf), 'options': {},
                    'mean': t(mean.astype(dtype)), 'rmsToMean': spread,
                    'noiseTail': noise, 'priorTail': prior, 'iterations': iters})
write('unsupervised_wiener.json', u_cases)

# ---------------------------------------------------------------- the blur operator C
# C x = 'valid' convolution of x extended by np.pad (before k-1-c, after c, c = (k-1)//2) in the
# boundary's mode; 'valid' is scipy.signal.convolve(x, h, 'valid') of x itself.
PAD_MODE = {'zero': 'constant', 'reflect': 'reflect', 'symmetric': 'symmetric', 'circular': 'wrap'}
op_cases = []
for ndim, shape, kshape in [(1, [9], [3]), (1, [7], [4]), (1, [5], [5]), (2, [6, 7], [3, 3]), (2, [8, 5], [4, 2]),
                            (2, [5, 6], [5, 6]), (3, [4, 5, 3], [3, 2, 3]), (3, [3, 4, 4], [2, 3, 1])]:
    for boundary in ['zero', 'reflect', 'symmetric', 'circular', 'valid']:
        x = rng.standard_normal(shape)
        h = rng.standard_normal(kshape)
        if boundary == 'valid':
            y = scipy.signal.convolve(x, h, mode='valid', method='direct')
        else:
            pads = [(k - 1 - (k - 1) // 2, (k - 1) // 2) for k in kshape]
            y = scipy.signal.convolve(np.pad(x, pads, mode=PAD_MODE[boundary]), h, mode='valid', method='direct')
        op_cases.append({'name': f'C/{ndim}-d x{shape} h{kshape} {boundary}', 'boundary': boundary,
                         'x': t(x), 'h': t(h), 'y': t(y)})
write('operator.json', op_cases)

# ---------------------------------------------------------------- 1-D Wiener and unsupervised Wiener
# scikit-image 0.19's wiener / unsupervised_wiener transform over the last two axes (urfft2) and
# refuse a 1-D signal. The 1-D method is the same formula over the one axis with the 1-D
# Laplacian, x = uirfftn(conj(H) / (|H|² + λ|R|²) · urfftn(y)) (uft's own 1-D transforms, below),
# which equals scikit-image on the signal as a (1, N) image with the PSF as (1, k) and the 1-D
# Laplacian as reg (1, 3) — asserted here, and how the sampler's 1-D reference is drawn. Own
# generator: the cases above keep their random draws.
from skimage.restoration import uft  # noqa: E402

rng1 = np.random.default_rng(20261207)
LAPLACE_1D = uft.laplacian(1, (8,))[1]  # [-1, 2, -1]
w1_cases = []
for i in range(8):
    # n ≥ 16: a PSF of n // 2 + 1 taps would be taken for a transfer function (the quirk tested in 2-D)
    n = int(rng1.integers(16, 60))
    name = str(rng1.choice(sorted(PICTURES)))
    pic = PICTURES[name]
    r = int(rng1.integers(0, pic.shape[0]))
    c = int(rng1.integers(0, pic.shape[1] - n))
    sig = pic[r, c:c + n].copy()
    k = int(rng1.choice([2, 3, 4, 5, 7]))
    psf = rng1.uniform(0.1, 1.0, k) if i % 2 else gaussian_psf([k], float(rng1.uniform(0.7, 2.0)))
    psf = psf / psf.sum()
    dtype = np.float32 if i % 3 else np.float64
    b = scipy.signal.convolve(sig, psf, mode='same') + 0.01 * rng1.standard_normal(n)
    b = b.astype(dtype)
    psf = psf.astype(dtype)
    balance = float(rng1.choice([0.001, 0.05, 1.0]))
    clip = bool(i % 4 != 1)
    reg = None if i % 4 != 3 else rng1.uniform(-1, 1, int(rng1.integers(1, 4))).astype(dtype)
    R = uft.ir2tf(LAPLACE_1D if reg is None else reg, b.shape, is_real=True)
    H = uft.ir2tf(psf, b.shape, is_real=True)
    # (the regulariser's transfer function by its real part only, as scikit-image's wiener does)
    direct = uft.uirfftn(np.conj(H) / (np.abs(H) ** 2 + balance * R.real ** 2) * uft.urfftn(b), shape=b.shape)
    if clip:
        direct = np.clip(direct, -1, 1)
    as2d = wiener(b[None, :], psf[None, :], balance, reg=(LAPLACE_1D if reg is None else reg)[None, :].astype(dtype),
                  clip=clip)[0]
    assert np.abs(as2d - direct).max() < 1e-5 * max(1.0, np.abs(direct).max()), (i, n, k, reg, np.abs(as2d - direct).max())
    options = {'balance': balance}
    if not clip:
        options['clip'] = False
    case = {'name': f'wiener/1-D {i} {name} n={n} k={k} {np.dtype(dtype).name}{" reg" if reg is not None else ""}',
            'image': t(b), 'psf': t(psf), 'options': options, 'output': t(as2d.astype(dtype))}
    if reg is not None:
        case['reg'] = t(reg)
    w1_cases.append(case)
write('wiener_1d.json', w1_cases)

u1_cases = []
for i, (n, dtype) in enumerate([(200, np.float64), (150, np.float32)]):
    name = str(rng1.choice(sorted(PICTURES)))
    pic = PICTURES[name]
    r = int(rng1.integers(0, pic.shape[0]))
    sig = pic[r, :n].copy()
    psf = gaussian_psf([5], 1.2)
    b = (scipy.signal.convolve(sig, psf, mode='same') + 0.01 * rng1.standard_normal(n)).astype(dtype)
    psf = psf.astype(dtype)
    outs, noise, prior, iters = [], [], [], []
    for seed in range(RUNS):
        out, chains = unsupervised_wiener(b[None, :], psf[None, :], reg=LAPLACE_1D[None, :].astype(dtype),
                                          random_state=seed)
        outs.append(out[0].astype(np.float64))
        noise.append(float(np.mean(chains['noise'][-10:])))
        prior.append(float(np.mean(chains['prior'][-10:])))
        iters.append(len(chains['noise']) - 1)
    mean = np.mean(outs, axis=0)
    spread = [float(np.sqrt(np.mean((o - mean) ** 2))) for o in outs]
    u1_cases.append({'name': f'unsupervisedWiener/1-D {i} {name} n={n} {np.dtype(dtype).name}',
                     'image': t(b), 'psf': t(psf), 'options': {},
                     'mean': t(mean.astype(dtype)), 'rmsToMean': spread,
                     'noiseTail': noise, 'priorTail': prior, 'iterations': iters})
write('unsupervised_wiener_1d.json', u1_cases)
