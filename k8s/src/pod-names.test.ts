import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_LABEL_LENGTH } from "./names.js";
import { deploymentPodNamePattern } from "./pod-names.js";
import { cpuUsageQuery } from "./prediction-autoscaler.js";

/** The alphabet of pod-template-hashes and generated suffixes (k8s.io/apimachinery `rand`). */
const ALPHABET = "bcdfghjklmnpqrstvwxz2456789";
const chars = (min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...ALPHABET), minLength: min, maxLength: max });

/**
 * A pod name as Kubernetes makes it: the ReplicaSet `<deployment>-<hash>` plus '-' as
 * generateName, cut to 58 characters, then 5 random characters.
 */
const podName = (deployment: string, hash: string, suffix: string) =>
  `${deployment}-${hash}-`.slice(0, 58) + suffix;

/** Pods of `deployment`: every hash length (1-10) and suffix. */
const pods = (deployment: string) =>
  fc.tuple(chars(1, 10), chars(5, 5)).map(([hash, suffix]) => podName(deployment, hash, suffix));

/** A DNS-1123 label of exactly `length` characters. */
const label = (length: number) =>
  fc.stringMatching(
    length === 1 ? /^[a-z0-9]$/ : new RegExp(`^[a-z0-9][-a-z0-9]{${length - 2}}[a-z0-9]$`),
  );

/** The pod matcher of the KEDA CPU trigger's query, as Prometheus applies it (anchored). */
const podMatcher = (deployment: string) => {
  const query = cpuUsageQuery("ml-serving", deployment, "server");
  const pattern = /pod=~"([^"]+)"/.exec(query)?.[1];
  return new RegExp(`^(?:${pattern})$`);
};

describe("cpuUsageQuery's pod matcher", () => {
  it("matches every pod of a Deployment of any valid name length (1-63)", () => {
    for (let length = 1; length <= MAX_LABEL_LENGTH; length++) {
      fc.assert(
        fc.property(
          label(length).chain((name) => fc.tuple(fc.constant(name), pods(name))),
          ([name, pod]) => podMatcher(name).test(pod),
        ),
        { numRuns: 50 },
      );
    }
  });

  it("matches the cut-off names of long Deployments exactly", () => {
    const name = "a".repeat(50);
    const matcher = podMatcher(name);
    // 50 + '-' + 7 hash characters fill the 58; the hash's tail and the second '-' are cut.
    expect(matcher.test(`${name}-bcdfghj2456z`)).toBe(true);
    expect(matcher.test(`${name}-bcd-2456z`)).toBe(true);
    expect(matcher.test(`${name}-bcdfghj2456`)).toBe(false);
    expect(podMatcher("m".repeat(63)).test(`${"m".repeat(58)}x2b4c`)).toBe(true);
  });

  it("never matches the other arm's pods, for any stack name", () => {
    // The longest stack name leaves `<stack>-challenger` a 63-character label.
    const maxStack = MAX_LABEL_LENGTH - "-challenger".length;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: maxStack }).chain(label),
        fc.tuple(chars(1, 10), chars(5, 5)),
        (stack, [hash, suffix]) => {
          const [champion, challenger] = [`${stack}-champion`, `${stack}-challenger`];
          const championPod = podName(champion, hash, suffix);
          const challengerPod = podName(challenger, hash, suffix);
          expect(podMatcher(champion).test(championPod)).toBe(true);
          expect(podMatcher(champion).test(challengerPod)).toBe(false);
          expect(podMatcher(challenger).test(challengerPod)).toBe(true);
          expect(podMatcher(challenger).test(championPod)).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("names the field and the rule for a name no pod can carry", () => {
    expect(() => deploymentPodNamePattern("Serving")).toThrow(
      'deploymentName: "Serving" must be a DNS-1123 label',
    );
    expect(() => deploymentPodNamePattern("a".repeat(64))).toThrow(
      `deploymentName: "${"a".repeat(64)}" must be 1-63 characters long`,
    );
  });
});
