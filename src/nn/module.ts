/**
 * `Module`: the base of every layer and model, as `torch.nn.Module`. A module owns named
 * parameters (float tensors with `requiresGrad`), named buffers (state that is saved but not
 * trained, like batch norm's running statistics) and named submodules, and names them the way
 * PyTorch does in a state_dict: `0.weight`, `encoder.1.bias`, `bn.running_mean`,
 * `bn.num_batches_tracked`. So a state_dict saved by PyTorch (see `io/safetensors.ts`) loads into
 * the same architecture built here, and back.
 *
 * Parameters are registered once and never replaced: `loadStateDict` and the optimisers write
 * their data in place, so a tensor held by an optimiser or a user stays the module's parameter.
 *
 * Reference: https://pytorch.org/docs/1.13/generated/torch.nn.Module.html
 */
import { DeconvError, fail, show } from '../errors.js';
import { Tensor, checkLive } from '../tensor.js';

/** A state_dict: names in PyTorch's form, in PyTorch's order, to tensors. */
export type StateDict = Map<string, Tensor>;
/** What `loadStateDict` and `writeSafetensors` accept: a `Map` or a plain record. */
export type StateDictLike = ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>;

export interface LoadStateDictOptions {
  /** every key of the module must be given and no other (default true), as PyTorch's `strict` */
  strict?: boolean;
}

export interface LoadStateDictResult {
  /** keys of the module that the dict did not have (only possible with `strict: false`) */
  missingKeys: string[];
  /** keys of the dict that the module does not have (only possible with `strict: false`) */
  unexpectedKeys: string[];
}

function checkName(fn: string, name: unknown): string {
  if (typeof name !== 'string' || name === '' || name.includes('.'))
    fail(fn, 'name', name, 'must be a non-empty string without dots');
  return name;
}

function entriesOf(fn: string, dict: unknown): [string, unknown][] {
  let entries: [string, unknown][];
  if (dict instanceof Map) entries = [...(dict as Map<string, unknown>).entries()];
  else {
    if (dict === null || typeof dict !== 'object' || Array.isArray(dict) || dict instanceof Tensor)
      fail(fn, 'stateDict', dict, 'must be a Map or a record of names to tensors');
    entries = Object.entries(dict);
  }
  // every value a live deconv Tensor (a look-alike is refused where the keys are matched)
  for (const [key, v] of entries) if (v instanceof Tensor) checkLive(fn, `stateDict[${show(key)}]`, v);
  return entries;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

/**
 * The base class of layers and models. Subclasses register what they own in their constructor
 * (or in field initialisers) and define `forward`.
 *
 * @example
 *   import { nn, randn } from 'deconv';
 *   class Net extends nn.Module {
 *     conv = this.registerModule('conv', new nn.Conv2d({ inChannels: 1, outChannels: 4, kernelSize: 3 }));
 *     bn = this.registerModule('bn', new nn.BatchNorm2d({ numFeatures: 4 }));
 *     forward(x) { return this.bn.forward(this.conv.forward(x)).relu(); }
 *   }
 *   const net = new Net();
 *   [...net.stateDict().keys()];
 *   // ['conv.weight', 'conv.bias', 'bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var',
 *   //  'bn.num_batches_tracked']
 *   net.forward(randn([2, 1, 8, 8])).shape; // [2, 4, 6, 6]
 */
export abstract class Module {
  /** Training mode (the default) or eval mode; batch norm and dropout read it. */
  training = true;
  readonly #parameters = new Map<string, Tensor | null>();
  readonly #buffers = new Map<string, Tensor | null>();
  readonly #modules = new Map<string, Module>();

  /**
   * Registers a parameter: a float leaf tensor, marked `requiresGrad`. `null` registers a slot
   * without a tensor (as PyTorch does for `bias=False`), which the state_dict skips.
   */
  registerParameter(name: string, value: Tensor): Tensor;
  registerParameter(name: string, value: Tensor | null): Tensor | null;
  registerParameter(name: string, value: Tensor | null): Tensor | null {
    const fn = 'registerParameter';
    this.#checkFree(fn, checkName(fn, name));
    if (value !== null) {
      if (!(value instanceof Tensor)) fail(fn, 'value', value, 'must be a Tensor or null');
      checkLive(fn, 'value', value);
      if (value.dtype === 'int32') fail(fn, 'value.dtype', value.dtype, "must be 'float32' or 'float64'");
      if (value.node !== null)
        fail(fn, 'value', value, 'must be a leaf tensor, not the result of an op (detach() it)');
      value.requiresGrad = true;
    }
    this.#parameters.set(name, value);
    return value;
  }

  /** Registers a buffer: state saved in the state_dict but not trained (any dtype), or `null`. */
  registerBuffer(name: string, value: Tensor): Tensor;
  registerBuffer(name: string, value: Tensor | null): Tensor | null;
  registerBuffer(name: string, value: Tensor | null): Tensor | null {
    const fn = 'registerBuffer';
    this.#checkFree(fn, checkName(fn, name));
    if (value !== null && !(value instanceof Tensor)) fail(fn, 'value', value, 'must be a Tensor or null');
    if (value !== null) checkLive(fn, 'value', value);
    this.#buffers.set(name, value);
    return value;
  }

  /** Registers a submodule: its parameters and buffers are named `name.<theirs>`. */
  registerModule<M extends Module>(name: string, module: M): M {
    const fn = 'registerModule';
    this.#checkFree(fn, checkName(fn, name));
    if (!(module instanceof Module)) fail(fn, 'module', module, 'must be a Module');
    this.#modules.set(name, module);
    return module;
  }

  #checkFree(fn: string, name: string): void {
    if (this.#parameters.has(name) || this.#buffers.has(name) || this.#modules.has(name))
      fail(fn, 'name', name, 'is already registered in this module');
  }

  /** The direct submodules with their names, in registration order. */
  namedChildren(): [string, Module][] {
    return [...this.#modules.entries()];
  }

  children(): Module[] {
    return [...this.#modules.values()];
  }

  /** This module (named `prefix`) and every module below it, depth first, each once. */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    const visit = (m: Module, name: string): void => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push([name, m]);
      for (const [child, sub] of m.#modules) visit(sub, name === '' ? child : `${name}.${child}`);
    };
    visit(this, prefix);
    return out;
  }

  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  #namedMembers(kind: 'parameters' | 'buffers', dedupe: boolean): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    const visit = (m: Module, prefix: string): void => {
      for (const [name, t] of kind === 'parameters' ? m.#parameters : m.#buffers) {
        if (t === null || (dedupe && seen.has(t))) continue;
        seen.add(t);
        out.push([prefix + name, t]);
      }
      for (const [name, sub] of m.#modules) visit(sub, `${prefix}${name}.`);
    };
    visit(this, '');
    return out;
  }

  /** Every parameter with its state_dict name; a tensor registered twice is listed once. */
  namedParameters(): [string, Tensor][] {
    return this.#namedMembers('parameters', true);
  }

  /** Every parameter (what an optimiser takes). */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  namedBuffers(): [string, Tensor][] {
    return this.#namedMembers('buffers', true);
  }

  buffers(): Tensor[] {
    return this.namedBuffers().map(([, t]) => t);
  }

  /**
   * The state_dict in PyTorch's order (each module's parameters, then its buffers, then its
   * submodules'). The tensors share their data with the module and have no gradient history:
   * copy them (`writeSafetensors` does) to keep a snapshot.
   */
  stateDict(): StateDict {
    const out: StateDict = new Map();
    const visit = (m: Module, prefix: string): void => {
      // shared storage: a disposed parameter's may hold another tensor's values by now
      const share = (t: Tensor, name: string): Tensor =>
        new Tensor(checkLive('stateDict', prefix + name, t).data, t.shape);
      for (const [name, t] of m.#parameters) if (t) out.set(prefix + name, share(t, name));
      for (const [name, t] of m.#buffers) if (t) out.set(prefix + name, share(t, name));
      for (const [name, sub] of m.#modules) visit(sub, `${prefix}${name}.`);
    };
    visit(this, '');
    return out;
  }

  /**
   * Copies a state_dict's tensors into this module's parameters and buffers, in place. Everything
   * is checked before anything is copied: a shape or dtype mismatch throws (whatever `strict`
   * says, as in PyTorch), and with `strict` (the default) so does a missing or an unexpected key.
   * float64 values are rounded into float32 parameters; integer buffers need int32 tensors.
   *
   * @example
   *   const net = new nn.Sequential(new nn.Linear({ inFeatures: 3, outFeatures: 2 }));
   *   net.loadStateDict(readSafetensors(fs.readFileSync('net.safetensors')));
   */
  loadStateDict(stateDict: StateDictLike, options: LoadStateDictOptions = {}): LoadStateDictResult {
    const fn = 'loadStateDict';
    const entries = entriesOf(fn, stateDict);
    if (options === null || typeof options !== 'object') fail(fn, 'options', options, 'must be an object');
    const strict = options.strict ?? true;
    if (typeof strict !== 'boolean') fail(fn, 'strict', strict, 'must be a boolean');

    const own = new Map<string, { tensor: Tensor; kind: string }>();
    const visit = (m: Module, prefix: string): void => {
      for (const [name, t] of m.#parameters) if (t) own.set(prefix + name, { tensor: t, kind: 'parameter' });
      for (const [name, t] of m.#buffers) if (t) own.set(prefix + name, { tensor: t, kind: 'buffer' });
      for (const [name, sub] of m.#modules) visit(sub, `${prefix}${name}.`);
    };
    visit(this, '');

    const given = new Set<string>();
    const unexpectedKeys: string[] = [];
    const copies: [Tensor, Tensor][] = [];
    for (const [key, value] of entries) {
      const path = `stateDict[${show(key)}]`;
      if (!(value instanceof Tensor)) fail(fn, path, value, 'must be a Tensor');
      const target = own.get(key);
      if (!target) {
        unexpectedKeys.push(key);
        continue;
      }
      given.add(key);
      const { tensor, kind } = target;
      if (!sameShape(value.shape, tensor.shape))
        fail(fn, path, value, `must have the shape ${show(tensor.shape)} of the module's ${kind} ${key}`);
      if ((value.dtype === 'int32') !== (tensor.dtype === 'int32'))
        fail(
          fn,
          `${path}.dtype`,
          value.dtype,
          `must be ${tensor.dtype === 'int32' ? "'int32'" : 'a float dtype'} like the module's ${kind} ${key}`,
        );
      copies.push([tensor, value]);
    }
    const missingKeys = [...own.keys()].filter((k) => !given.has(k));
    if (strict && unexpectedKeys.length > 0) {
      const key = unexpectedKeys[0]!;
      fail(
        fn,
        `stateDict[${show(key)}]`,
        entries.find(([k]) => k === key)![1],
        `is not a parameter or buffer of the module (unexpected keys: ${unexpectedKeys.join(', ')}; ` +
          'pass { strict: false } to ignore them)',
      );
    }
    if (strict && missingKeys.length > 0) {
      const key = missingKeys[0]!;
      const { tensor, kind } = own.get(key)!;
      throw new DeconvError(
        fn,
        'stateDict',
        `stateDict[${show(key)}] is missing: the module's ${kind} ${key} of shape ${show(tensor.shape)} ` +
          `has no entry (missing keys: ${missingKeys.join(', ')}; pass { strict: false } to load the rest)`,
      );
    }
    for (const [tensor, value] of copies) {
      tensor.data.set(value.data);
      tensor.markModified(); // packed copies of the old values go (Tensor.keepPacked)
    }
    return { missingKeys, unexpectedKeys };
  }

  /** Sets training mode (`true`, the default) or eval mode on this module and all below it. */
  train(mode = true): this {
    if (typeof mode !== 'boolean') fail('train', 'mode', mode, 'must be a boolean');
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /** Eval mode: batch norm uses its running statistics, dropout does nothing. */
  eval(): this {
    return this.train(false);
  }

  /** Forgets every parameter's gradient (`grad = null`, PyTorch 2's `set_to_none=True`). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /** Calls `fn` on every submodule (children first) and then on this one, as PyTorch's `apply`. */
  apply(fn: (module: Module) => void): this {
    for (const m of this.#modules.values()) m.apply(fn);
    fn(this);
    return this;
  }

  /** The layer's options for `toString()`, as PyTorch's `extra_repr`. */
  protected extraRepr(): string {
    return '';
  }

  /** A PyTorch-like listing of the module tree. */
  toString(): string {
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    if (this.#modules.size === 0) return `${head})`;
    const lines = [...this.#modules].map(
      ([name, m]) => `  (${name}): ${m.toString().split('\n').join('\n  ')}`,
    );
    return `${head}\n${lines.join('\n')}\n)`;
  }
}

/** A module whose `forward` maps one tensor to one tensor: what `Sequential` chains. */
export type Layer = Module & { forward(input: Tensor): Tensor };

/**
 * Layers applied one after the other; they are named `0`, `1`, … in the state_dict, as in
 * PyTorch.
 *
 * @example
 *   import { nn, randn } from 'deconv';
 *   const net = new nn.Sequential(
 *     new nn.Conv2d({ inChannels: 1, outChannels: 8, kernelSize: 3, padding: 1 }),
 *     new nn.ReLU(),
 *     new nn.ConvTranspose2d({ inChannels: 8, outChannels: 1, kernelSize: 2, stride: 2 }),
 *   );
 *   net.forward(randn([1, 1, 8, 8])).shape; // [1, 1, 16, 16]
 *   [...net.stateDict().keys()];            // ['0.weight', '0.bias', '2.weight', '2.bias']
 */
export class Sequential extends Module {
  readonly #layers: Layer[] = [];

  constructor(...layers: Layer[]) {
    super();
    for (const layer of layers) this.append(layer);
  }

  /** Adds a layer at the end, named by its position. */
  append(layer: Layer): this {
    if (!(layer instanceof Module) || typeof (layer as { forward?: unknown }).forward !== 'function')
      fail('Sequential', `layers[${this.#layers.length}]`, layer, 'must be a Module with a forward method');
    this.registerModule(String(this.#layers.length), layer);
    this.#layers.push(layer);
    return this;
  }

  get length(): number {
    return this.#layers.length;
  }

  /** The layer at `index` (negative counts from the end). */
  at(index: number): Layer | undefined {
    return this.#layers.at(index);
  }

  [Symbol.iterator](): Iterator<Layer> {
    return this.#layers[Symbol.iterator]();
  }

  forward(input: Tensor): Tensor {
    let x = input;
    for (const layer of this.#layers) x = layer.forward(x);
    return x;
  }
}
