import { readFileSync } from 'node:fs';
import { DeconvError, importOnnx, randn } from './src/index.ts';
const names = ['dcgan_opset17', 'segmenter_opset13', 'mixed_opset11', 'espcn_opset17'];
let seed = 1;
const rnd = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff; };
const kinds = new Map<string, number>();
for (const name of names) {
  const bytes = readFileSync(`test/fixtures/onnx/torch/${name}/model.onnx`);
  const feeds0 = [0,1,2].map(i => { try { return readFileSync(`test/fixtures/onnx/torch/${name}/test_data_set_0/input_${i}.pb`);} catch { return null; } });
  for (let trial = 0; trial < 400; trial++) {
    const b = Uint8Array.from(bytes);
    const k = 1 + Math.floor(rnd() * 3);
    for (let j = 0; j < k; j++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
    let stage = 'import';
    try {
      const m = importOnnx(b);
      stage = 'run';
      const { readOnnxTensor } = await import('./src/index.ts');
      const feeds = Object.fromEntries(m.inputNames.map((n, i) => [n, readOnnxTensor(feeds0[i]!)]));
      m.run(feeds);
      kinds.set('ok', (kinds.get('ok') ?? 0) + 1);
    } catch (e) {
      const key = e instanceof DeconvError ? `deconv ${stage}` : `OTHER ${stage} ${(e as Error).constructor.name}: ${(e as Error).message.slice(0, 120)}`;
      kinds.set(key, (kinds.get(key) ?? 0) + 1);
      if (!(e instanceof DeconvError) && (kinds.get(key) === 1)) console.log(name, (e as Error).stack?.split('\n').slice(0,5).join('\n'));
    }
  }
}
for (const [k, v] of kinds) console.log(v, k);
