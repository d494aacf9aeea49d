/**
 * Lists every tensor argument of every public function, mechanically, from the package entries'
 * types (the TypeScript checker over src/index.ts and src/node.ts): each exported function, class
 * constructor and public method whose parameter's type contains `Tensor` — directly, in an array,
 * a record, or a field of an options object (`bias`, `mask`, `layers[].weight`, …). Writes
 * test/fixtures/tensor-arguments.json, which test/tensor-arguments.test.ts checks against the
 * runtime exports and calls each entry with bad tensors. Run after changing a public signature:
 *
 *     node --import tsx scripts/gen-tensor-arguments.ts
 */
import { writeFileSync } from 'node:fs';
import ts from 'typescript';

const root = new URL('../', import.meta.url).pathname;
const program = ts.createProgram([`${root}src/index.ts`, `${root}src/node.ts`], {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  skipLibCheck: true,
});
const checker = program.getTypeChecker();

/** Where in a type a Tensor sits: '' for the type itself, '.bias', '[]', '{}', '.layers[].weight'. */
function tensorPaths(t: ts.Type, depth = 0, ancestors = new Set<ts.Type>()): string[] {
  if (depth > 4 || ancestors.has(t)) return [];
  const seen = new Set(ancestors).add(t); // (a type may appear in several fields, not in itself)
  if ((t.getSymbol() ?? t.aliasSymbol)?.getName() === 'Tensor') return [''];
  const out: string[] = [];
  if (t.isUnion() || t.isIntersection()) {
    for (const u of t.types) out.push(...tensorPaths(u, depth + 1, seen));
    return out;
  }
  if (checker.isArrayType(t) || checker.isTupleType(t)) {
    for (const a of checker.getTypeArguments(t as ts.TypeReference))
      out.push(...tensorPaths(a, depth + 1, seen).map((p) => `[]${p}`));
    return out;
  }
  // Iterable<Tensor>, Map<string, Tensor>, …: a generic's type arguments
  if ((t as ts.ObjectType).objectFlags & ts.ObjectFlags.Reference) {
    for (const a of checker.getTypeArguments(t as ts.TypeReference))
      out.push(...tensorPaths(a, depth + 1, seen).map((p) => `<>${p}`));
    if (out.length > 0) return out;
  }
  const index = t.getStringIndexType();
  if (index) out.push(...tensorPaths(index, depth + 1, seen).map((p) => `{}${p}`));
  if (t.getCallSignatures().length > 0 || !(t.flags & ts.TypeFlags.Object)) return out;
  for (const p of t.getProperties()) {
    const decl = p.valueDeclaration ?? p.declarations?.[0];
    if (!decl || decl.getSourceFile().fileName.includes('node_modules')) continue;
    out.push(
      ...tensorPaths(checker.getTypeOfSymbolAtLocation(p, decl), depth + 1, seen).map(
        (q) => `.${p.getName()}${q}`,
      ),
    );
  }
  return out;
}

const entries = new Map<string, { fn: string; param: number; name: string; paths: string[] }>();
function record(fn: string, sig: ts.Signature, at: ts.Node): void {
  sig.getParameters().forEach((p, i) => {
    const paths = [...new Set(tensorPaths(checker.getTypeOfSymbolAtLocation(p, at)))].sort();
    if (paths.length === 0) return;
    const key = `${fn}(${i})`;
    const old = entries.get(key);
    entries.set(key, {
      fn,
      param: i,
      name: p.getName(),
      paths: [...new Set([...(old?.paths ?? []), ...paths])].sort(),
    });
  });
}

const seenMethods = new Set<ts.Node>();
/** every exported function and class, namespaces' members included (the test compares the runtime's) */
const callables = new Set<string>();
function walk(prefix: string, symbols: ts.Symbol[]): void {
  for (const exported of symbols) {
    const name = prefix + exported.getName();
    const s = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    if (s.flags & ts.SymbolFlags.Module) {
      walk(`${name}.`, checker.getExportsOfModule(s));
      continue;
    }
    const decl = s.valueDeclaration;
    if (!decl) continue; // a type
    if (s.flags & (ts.SymbolFlags.Function | ts.SymbolFlags.Class)) callables.add(name);
    const type = checker.getTypeOfSymbolAtLocation(s, decl);
    if (s.flags & ts.SymbolFlags.Class) {
      for (const sig of type.getConstructSignatures()) record(`new ${name}`, sig, decl);
      for (const member of checker.getDeclaredTypeOfSymbol(s).getProperties()) {
        const md = member.valueDeclaration;
        if (!md || member.getName().startsWith('_') || member.getName().startsWith('#')) continue;
        if (
          ts.getCombinedModifierFlags(md as ts.Declaration) &
          (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)
        )
          continue;
        // an inherited method is listed once, under the first exported class that has it
        if (seenMethods.has(md)) continue;
        seenMethods.add(md);
        const mt = checker.getTypeOfSymbolAtLocation(member, md);
        for (const sig of mt.getCallSignatures()) record(`${name}#${member.getName()}`, sig, md);
      }
      continue;
    }
    for (const sig of type.getCallSignatures()) record(name, sig, decl);
  }
}

const rootEntry = checker.getSymbolAtLocation(program.getSourceFile(`${root}src/index.ts`)!)!;
walk('', checker.getExportsOfModule(rootEntry));
const rootNames = new Set(checker.getExportsOfModule(rootEntry).map((s) => s.getName()));
const nodeEntry = checker.getSymbolAtLocation(program.getSourceFile(`${root}src/node.ts`)!)!;
walk(
  '',
  checker.getExportsOfModule(nodeEntry).filter((s) => !rootNames.has(s.getName())),
);

const list = [...entries.values()].sort((a, b) => (a.fn < b.fn ? -1 : a.fn > b.fn ? 1 : a.param - b.param));
writeFileSync(
  `${root}test/fixtures/tensor-arguments.json`,
  `${JSON.stringify(
    { generator: 'scripts/gen-tensor-arguments.ts', exports: [...callables].sort(), arguments: list },
    null,
    1,
  )}\n`,
);
console.log(`${list.length} tensor arguments of ${new Set(list.map((e) => e.fn)).size} functions`);
