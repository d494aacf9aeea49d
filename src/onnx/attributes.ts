/**
 * A node's attributes, read by name and type once at import. Every read is checked: an attribute
 * the operator does not know, or of the wrong type, refuses the model naming the node, its operator
 * and the attribute.
 */
import { DeconvError, show } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { AttributeType, int64, type AttributeProto, type NodeProto } from './proto.js';
import { fromTensorProto } from './tensors.js';

export const FN = 'importOnnx';

export class NodeContext {
  readonly #attrs = new Map<string, AttributeProto>();
  readonly #read = new Set<string>();
  constructor(
    readonly node: NodeProto,
    readonly index: number,
    readonly opset: number,
  ) {
    for (const a of node.attribute ?? []) this.#attrs.set(a.name ?? '', a);
  }

  get op(): string {
    return this.node.opType ?? '';
  }

  /** "node 3 'conv1' (ConvTranspose)" */
  get where(): string {
    return `node ${this.index} ${show(this.node.name ?? '')} (${this.op})`;
  }

  /** Refuses the model: `importOnnx: node 3 'up' (Resize): attribute mode = 'x' must be …`. */
  fail(what: string, value: unknown, rule: string): never {
    throw new DeconvError(FN, 'bytes', `${this.where}: ${what} = ${show(value)} ${rule}`);
  }

  failAttribute(name: string, value: unknown, rule: string): never {
    return this.fail(`attribute ${name}`, value, rule);
  }

  #get(name: string, type: number): AttributeProto | undefined {
    this.#read.add(name);
    const a = this.#attrs.get(name);
    if (a && a.type !== type) {
      const names = Object.fromEntries(Object.entries(AttributeType).map(([k, v]) => [v, k]));
      this.failAttribute(name, names[a.type ?? 0] ?? a.type, `has the wrong type: must be ${names[type]}`);
    }
    return a;
  }

  has(name: string): boolean {
    return this.#attrs.has(name);
  }

  int(name: string, fallback: number): number {
    const a = this.#get(name, AttributeType.INT);
    return a ? int64(a.i) : fallback;
  }
  float(name: string, fallback: number): number {
    const a = this.#get(name, AttributeType.FLOAT);
    return a ? (a.f ?? 0) : fallback;
  }
  string<T extends string>(name: string, fallback: T, allowed?: readonly T[]): T {
    const a = this.#get(name, AttributeType.STRING);
    const v = a ? new TextDecoder().decode(a.s ?? new Uint8Array()) : fallback;
    if (allowed && !allowed.includes(v as T)) {
      this.failAttribute(
        name,
        v,
        `is not supported: must be one of ${allowed.map((x) => show(x)).join(', ')}`,
      );
    }
    return v as T;
  }
  ints(name: string): number[] | null {
    const a = this.#get(name, AttributeType.INTS);
    return a ? (a.ints ?? []).map(int64) : null;
  }
  floats(name: string): number[] | null {
    const a = this.#get(name, AttributeType.FLOATS);
    return a ? [...(a.floats ?? [])] : null;
  }
  tensor(name: string): Tensor | null {
    const a = this.#get(name, AttributeType.TENSOR);
    return a?.t
      ? fromTensorProto(a.t, { fn: FN, where: `${this.where} attribute ${name}`, outOfRange: 'saturate' })
      : null;
  }

  /** After the operator read its attributes: refuses any it does not know. */
  checkAllRead(): void {
    for (const name of this.#attrs.keys()) {
      if (!this.#read.has(name))
        this.failAttribute(name, '…', 'is not supported by deconv for this operator');
    }
  }
}
