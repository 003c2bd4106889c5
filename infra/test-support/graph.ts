/**
 * The resource graph of a program run under mocks, as the engine orders it: a resource waits for
 * what it depends on (explicit `dependsOn` and the outputs its inputs read), for what its
 * ancestors depend on, and for every descendant of a component it depends on.
 */
import { keyOf, type Registered, registered } from "@mlops/k8s/test-support";

/** `type::name` of a registered resource. */
export const keyOfResource = (r: Registered): string => keyOf(r.type, r.name);

/** Everything `resource` waits for before it is created, transitively. */
export function waitsFor(resource: Registered): Set<string> {
  const byKey = new Map(registered.map((r) => [keyOfResource(r), r]));
  const children = new Map<string, string[]>();
  for (const r of registered) {
    if (r.parent !== undefined) {
      children.set(r.parent, [...(children.get(r.parent) ?? []), keyOfResource(r)]);
    }
  }
  const descendants = (key: string): string[] =>
    (children.get(key) ?? []).flatMap((c) => [c, ...descendants(c)]);
  /** Direct waits of `key`: its own and its ancestors' dependencies, components expanded. */
  const direct = (key: string): string[] => {
    const own: string[] = [];
    for (let r = byKey.get(key); r !== undefined; r = r.parent ? byKey.get(r.parent) : undefined) {
      own.push(...r.dependencies);
    }
    return own.flatMap((d) => [d, ...descendants(d)]);
  };
  const seen = new Set<string>();
  const queue = direct(keyOfResource(resource));
  while (queue.length > 0) {
    const next = queue.pop()!;
    if (seen.has(next)) continue;
    seen.add(next);
    queue.push(...direct(next));
  }
  return seen;
}
