/**
 * The names Kubernetes gives a Deployment's pods, as a regular expression for
 * PromQL label matchers (RE2, anchored at both ends by Prometheus). The
 * Deployment controller names a ReplicaSet `<deployment>-<pod-template-hash>`,
 * the ReplicaSet controller gives each pod the generateName `<replicaset>-`,
 * and the API server cuts a generateName to 58 characters before appending
 * 5 random ones (`SimpleNameGenerator` in k8s.io/apiserver), so past about
 * 45 characters the name loses its hash, its separator, or its own tail.
 */
import { assertDns1123Label } from "./names.js";

/**
 * One character of a pod-template-hash (`rand.SafeEncodeString`) or of a
 * generated suffix (`rand.String`): the same alphabet in k8s.io/apimachinery.
 */
const CHAR = "[bcdfghjklmnpqrstvwxz2456789]";

/** Longest pod-template-hash: a uint32 in decimal, one character per digit. */
const MAX_HASH_LENGTH = 10;

/** A generateName is cut to this many characters (`maxGeneratedNameLength`). */
const MAX_GENERATE_NAME_LENGTH = 58;

/** Random characters appended to a generateName. */
const SUFFIX_LENGTH = 5;

/**
 * Pattern matching exactly the names of the pods of Deployment
 * `deploymentName` (a DNS-1123 label, as pod host names need), whatever its
 * length and hash. Every alternative starts with the whole name, or its first
 * 58 characters, so another Deployment's pods match only if the two names
 * share those 58 characters.
 */
export function deploymentPodNamePattern(deploymentName: string): string {
  assertDns1123Label("deploymentName", deploymentName);
  const free = MAX_GENERATE_NAME_LENGTH - deploymentName.length;
  if (free <= 0) {
    return `${deploymentName.slice(0, MAX_GENERATE_NAME_LENGTH)}${CHAR}{${SUFFIX_LENGTH}}`;
  }
  // `<name>-<hash>-<suffix>` while the generateName fits: hashes of up to `free - 2` characters.
  const wholeHash = Math.min(MAX_HASH_LENGTH, free - 2);
  // A longer hash is cut to `free - 1` characters with no '-' after it, then the suffix.
  const cutHash = free - 1;
  const alternatives = [
    ...(wholeHash >= 1 ? [`${CHAR}{1,${wholeHash}}-${CHAR}{${SUFFIX_LENGTH}}`] : []),
    ...(cutHash <= MAX_HASH_LENGTH ? [`${CHAR}{${cutHash + SUFFIX_LENGTH}}`] : []),
  ];
  return `${deploymentName}-(?:${alternatives.join("|")})`;
}
