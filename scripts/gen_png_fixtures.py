#!/usr/bin/env python3
"""PNG test files for readPng: a corpus of valid files in every colour type, bit depth and
interlacing, Adam7 below 8 bits per sample included (with the samples they hold, so the test compares against values that did not come
from our decoder), and a corpus of hostile files with the kind of refusal each must get.

    /usr/bin/python3 scripts/gen_png_fixtures.py   # → test/fixtures/png/

The valid files are written by the small encoder below (all five filter types, Adam7 interlacing)
and each is read back with Pillow, which must see the same samples, so the files are checked by an
independent decoder. Expected values are the samples themselves; the test maps a sample v of
depth d to v / (2^d − 1) (palette: the palette colour / 255).
"""
import io
import json
import os
import struct
import zlib

import numpy as np
from PIL import Image

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'png')
rng = np.random.default_rng(13)


def chunk(kind: bytes, data: bytes, crc=None) -> bytes:
    c = zlib.crc32(kind + data) if crc is None else crc
    return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', c & 0xFFFFFFFF)


SIG = b'\x89PNG\r\n\x1a\n'
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def ihdr(w, h, depth, color, interlace=0):
    return chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, depth, color, 0, 0, interlace))


def pack_row(samples: np.ndarray, depth: int) -> bytes:
    """One scanline's samples (1-D) as bytes, big-endian, packed below 8 bits."""
    if depth == 16:
        return samples.astype('>u2').tobytes()
    if depth == 8:
        return samples.astype(np.uint8).tobytes()
    per = 8 // depth
    out = bytearray((len(samples) * depth + 7) // 8)
    for i, v in enumerate(samples):
        out[i // per] |= int(v) << (8 - depth * (i % per + 1))
    return bytes(out)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def filter_rows(rows, bpp):
    """Filters each row with filter type (row index mod 5): None, Sub, Up, Average, Paeth."""
    out = bytearray()
    prev = bytes(len(rows[0])) if rows else b''
    for y, row in enumerate(rows):
        ft = y % 5
        f = bytearray(len(row))
        for i, x in enumerate(row):
            a = row[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            pred = [0, a, b, (a + b) // 2, paeth(a, b, c)][ft]
            f[i] = (x - pred) & 255
        out += bytes([ft]) + f
        prev = row
    return bytes(out)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def image_data(samples: np.ndarray, depth: int, interlace: int) -> bytes:
    """samples: (H, W, C) ints → the filtered, uncompressed image data."""
    h, w, c = samples.shape
    bpp = max(1, c * depth // 8)
    if not interlace:
        return filter_rows([pack_row(samples[y].reshape(-1), depth) for y in range(h)], bpp)
    raw = b''
    for x0, y0, dx, dy in ADAM7:
        sub = samples[y0::dy, x0::dx]
        if sub.shape[0] and sub.shape[1]:
            raw += filter_rows([pack_row(r.reshape(-1), depth) for r in sub], bpp)
    return raw


def png(samples, depth, color, interlace=0, palette=None, trns=None):
    h, w, _ = samples.shape
    body = SIG + ihdr(w, h, depth, color, interlace)
    if palette is not None:
        body += chunk(b'PLTE', bytes(np.asarray(palette, dtype=np.uint8).reshape(-1)))
    if trns is not None:
        body += chunk(b'tRNS', trns)
    data = zlib.compress(image_data(samples, depth, interlace), 9)
    # split the image data over two IDAT chunks, as encoders may
    half = len(data) // 2
    body += chunk(b'IDAT', data[:half]) + chunk(b'IDAT', data[half:]) + chunk(b'IEND', b'')
    return body


def pillow_samples(data: bytes, color: int, depth: int) -> np.ndarray:
    """What Pillow decodes, as (H, W, C) in the file's own sample scale where Pillow keeps it."""
    im = Image.open(io.BytesIO(data))
    im.load()
    a = np.array(im)
    if a.ndim == 2:
        a = a[:, :, None]
    return a.astype(np.int64)


def check_with_pillow(name, data, samples, color, depth):
    got = pillow_samples(data, color, depth)
    want = samples.astype(np.int64)
    if color in (0,) and depth < 8:
        want = want * (255 // (2**depth - 1)) if depth > 1 else want * 1  # Pillow: '1' → 0/1, L → scaled
        if depth == 1:
            got = (got > 0).astype(np.int64)
            want = samples.astype(np.int64)
    elif depth == 16 and color != 0:
        want = want >> 8  # Pillow reads 16-bit colour as 8-bit (the high byte)
    if got.shape[2] == 4 and want.shape[2] == 2:
        got = got[:, :, [0, 3]]  # Pillow reads 16-bit grey + alpha as RGBA
    assert got.shape == want.shape, (name, got.shape, want.shape)
    assert np.array_equal(got, want), f'{name}: Pillow decodes other samples'


def main():
    os.makedirs(OUT, exist_ok=True)
    cases = []

    def add(name, h, w, depth, color, interlace=0, ncolors=None, trns=False):
        c = CHANNELS[color]
        top = (ncolors if color == 3 else 2**depth) - 1
        samples = rng.integers(0, top + 1, size=(h, w, c))
        palette = None
        if color == 3:
            palette = rng.integers(0, 256, size=(ncolors, 3))
        data = png(samples, depth, color, interlace, palette, bytes([128] * ncolors) if trns else None)
        check_with_pillow(name, data, samples, color, depth)
        with open(os.path.join(OUT, name + '.png'), 'wb') as f:
            f.write(data)
        if color == 3:
            rgb = palette[samples[:, :, 0]] / 255.0
        else:
            s = samples / (2**depth - 1)
            rgb = np.repeat(s[:, :, :1], 3, axis=2) if c < 3 else s[:, :, :3]
        cases.append({
            'file': name + '.png',
            'height': h,
            'width': w,
            # (3, H, W), float64 values; the test compares them rounded to float32
            'rgb': np.transpose(rgb, (2, 0, 1)).reshape(-1).tolist(),
        })

    add('grey-1bit', 7, 13, 1, 0)
    add('grey-2bit', 5, 11, 2, 0)
    add('grey-4bit', 6, 9, 4, 0)
    add('grey-8bit', 8, 10, 8, 0)
    add('grey-16bit', 5, 7, 16, 0)
    add('grey-alpha-8bit', 6, 6, 8, 4)
    add('grey-alpha-16bit', 4, 5, 16, 4)
    add('rgb-8bit', 9, 12, 8, 2)
    add('rgb-16bit', 6, 5, 16, 2)
    add('rgba-8bit', 7, 8, 8, 6)
    add('rgba-16bit', 5, 6, 16, 6)
    add('palette-1bit', 6, 17, 1, 3, ncolors=2)
    add('palette-2bit', 5, 9, 2, 3, ncolors=4)
    add('palette-4bit', 7, 7, 4, 3, ncolors=11)
    add('palette-8bit-trns', 8, 9, 8, 3, ncolors=200, trns=True)
    add('interlaced-rgb-8bit', 11, 9, 8, 2, interlace=1)
    add('interlaced-grey-8bit', 10, 13, 8, 0, interlace=1)
    add('interlaced-palette-8bit', 9, 10, 8, 3, interlace=1, ncolors=40)
    add('interlaced-grey-alpha-8bit', 6, 7, 8, 4, interlace=1)
    # Adam7 below 8 bits: sizes where passes are empty (1, 2, 3, 5 columns) or cut mid-byte
    add('interlaced-grey-1bit', 10, 13, 1, 0, interlace=1)
    add('interlaced-grey-2bit', 9, 17, 2, 0, interlace=1)
    add('interlaced-grey-4bit', 11, 7, 4, 0, interlace=1)
    add('interlaced-grey-1bit-1x1', 1, 1, 1, 0, interlace=1)
    add('interlaced-grey-2bit-3x2', 3, 2, 2, 0, interlace=1)
    add('interlaced-grey-1bit-33x5', 5, 33, 1, 0, interlace=1)
    add('interlaced-palette-1bit', 12, 19, 1, 3, interlace=1, ncolors=2)
    add('interlaced-palette-2bit', 7, 23, 2, 3, interlace=1, ncolors=3)
    add('interlaced-palette-4bit', 9, 10, 4, 3, interlace=1, ncolors=16)
    add('interlaced-palette-4bit-trns', 16, 16, 4, 3, interlace=1, ncolors=9, trns=True)
    add('interlaced-rgba-16bit', 7, 6, 16, 6, interlace=1)
    add('interlaced-1x1', 1, 1, 8, 2, interlace=1)
    with open(os.path.join(OUT, 'valid.json'), 'w') as f:
        json.dump(cases, f)

    # ---- hostile files: each with a fragment of the refusal it must get ----
    hostile = []

    def bad(name, data, match):
        with open(os.path.join(OUT, name), 'wb') as f:
            f.write(data)
        hostile.append({'file': name, 'match': match, 'bytes': len(data)})

    tiny = zlib.compress(b'\0\0')
    bad('huge-ihdr-2147483647x1.png',
        SIG + ihdr(2147483647, 1, 8, 0) + chunk(b'IDAT', tiny) + chunk(b'IEND', b''), 'more than maxPixels')
    bad('huge-ihdr-30000x30000.png',
        SIG + ihdr(30000, 30000, 8, 2) + chunk(b'IDAT', tiny) + chunk(b'IEND', b''), 'more than maxPixels')
    # a real 12000 × 12000 grey image of zeros: ~140 KB that inflate to 144 MB
    rows = 12000
    z = zlib.compressobj(9)
    data = b''.join(z.compress(b'\0' * 12001) for _ in range(rows)) + z.flush()
    bad('bomb-12000x12000.png', SIG + ihdr(12000, 12000, 8, 0) + chunk(b'IDAT', data) + chunk(b'IEND', b''),
        'more than maxPixels')
    # a 64 × 64 header whose image data inflates to 256 MB
    z = zlib.compressobj(9)
    block = b'\0' * (1 << 20)
    data = b''.join(z.compress(block) for _ in range(256)) + z.flush()
    bad('bomb-overlong-stream.png', SIG + ihdr(64, 64, 8, 0) + chunk(b'IDAT', data) + chunk(b'IEND', b''),
        'inflates to more than')
    good = png(rng.integers(0, 256, size=(32, 32, 3)), 8, 2)
    idat_at = good.index(b'IDAT') - 4
    bad('truncated-in-idat.png', good[: idat_at + 8 + 40], 'truncated')
    bad('truncated-no-iend.png', good[:-12], 'truncated')
    short = zlib.compress(image_data(rng.integers(0, 256, size=(16, 16, 3)), 8, 0))
    bad('truncated-image-data.png',
        SIG + ihdr(16, 32, 8, 2) + chunk(b'IDAT', short) + chunk(b'IEND', b''), 'inflates to 784 bytes')
    cut = zlib.compress(image_data(rng.integers(0, 256, size=(16, 16, 3)), 8, 0))[:-30]
    bad('truncated-zlib-stream.png',
        SIG + ihdr(16, 16, 8, 2) + chunk(b'IDAT', cut) + chunk(b'IEND', b''), 'truncated')
    flipped = bytearray(good)
    flipped[idat_at + 8 + 20] ^= 0x55
    bad('corrupt-crc.png', bytes(flipped), 'corrupt')
    raw = bytearray(image_data(rng.integers(0, 256, size=(4, 4, 3)), 8, 0))
    raw[0] = 7
    bad('corrupt-filter-type.png',
        SIG + ihdr(4, 4, 8, 2) + chunk(b'IDAT', zlib.compress(bytes(raw))) + chunk(b'IEND', b''), 'corrupt')
    idx = np.full((3, 3, 1), 5)
    bad('corrupt-palette-index.png', png(idx, 8, 3, palette=[[0, 0, 0], [255, 255, 255]]), 'palette index 5')
    bad('corrupt-colour-type.png',
        SIG + ihdr(4, 4, 8, 5) + chunk(b'IDAT', tiny) + chunk(b'IEND', b''), 'colour type 5')
    bad('corrupt-bit-depth.png',
        SIG + ihdr(4, 4, 4, 2) + chunk(b'IDAT', tiny) + chunk(b'IEND', b''), '4 bits per sample')
    bad('zero-width.png', SIG + ihdr(0, 4, 8, 0) + chunk(b'IDAT', tiny) + chunk(b'IEND', b''), '0 × 4')
    bad('no-image-data.png', SIG + ihdr(4, 4, 8, 0) + chunk(b'IEND', b''), 'no image data')
    bad('palette-without-plte.png',
        SIG + ihdr(2, 2, 8, 3) + chunk(b'IDAT', zlib.compress(b'\0\0\0' * 2)) + chunk(b'IEND', b''), 'PLTE')
    bad('empty.png', b'', 'empty')
    bad('header-only.png', SIG + good[8:20], 'no complete IHDR')
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, size=(8, 8, 3)).astype(np.uint8)).save(buf, 'JPEG')
    bad('photo-really-a.jpg', buf.getvalue(), 'is a JPEG image, not a PNG image')
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, size=(8, 8)).astype(np.uint8)).save(buf, 'GIF')
    bad('picture-really-a.gif', buf.getvalue(), 'is a GIF image, not a PNG image')
    # Adam7 below 8 bits: the same refusals
    g1 = png(rng.integers(0, 2, size=(20, 20, 1)), 1, 0, interlace=1)
    at1 = g1.index(b'IDAT') - 4
    bad('interlaced-1bit-truncated-in-idat.png', g1[: at1 + 8 + 10], 'truncated')
    short = zlib.compress(image_data(rng.integers(0, 4, size=(8, 8, 1)), 2, 1))
    bad('interlaced-2bit-short-image-data.png',
        SIG + ihdr(8, 16, 2, 0, 1) + chunk(b'IDAT', short) + chunk(b'IEND', b''), 'truncated PNG image: its image data inflates to')
    f1 = bytearray(g1)
    f1[at1 + 8 + 5] ^= 0x20
    bad('interlaced-1bit-corrupt-crc.png', bytes(f1), 'fails its CRC check')
    raw = bytearray(image_data(rng.integers(0, 4, size=(9, 9, 1)), 2, 1))
    raw[0] = 9
    bad('interlaced-2bit-corrupt-filter-type.png',
        SIG + ihdr(9, 9, 2, 0, 1) + chunk(b'IDAT', zlib.compress(bytes(raw))) + chunk(b'IEND', b''), 'corrupt')
    bad('interlaced-4bit-palette-index.png',
        png(np.full((6, 6, 1), 7), 4, 3, interlace=1, palette=[[0, 0, 0], [255, 255, 255]]), 'palette index 7')
    rows = 20000
    z = zlib.compressobj(9)
    data = b''.join(z.compress(b'\0' * 2501) for _ in range(rows)) + z.flush()
    bad('interlaced-1bit-bomb-20000x20000.png',
        SIG + ihdr(20000, 20000, 1, 0, 1) + chunk(b'IDAT', data) + chunk(b'IEND', b''), 'more than maxPixels')
    bad('text.png', b'hello, this is not an image\n', 'does not start with the PNG signature')
    with open(os.path.join(OUT, 'hostile.json'), 'w') as f:
        json.dump(hostile, f, indent=1)
    print(f'{len(cases)} valid and {len(hostile)} hostile files in {OUT}')


if __name__ == '__main__':
    main()
