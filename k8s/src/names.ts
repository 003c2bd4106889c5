/**
 * Kubernetes name rules, checked before anything is registered so a bad name
 * fails at `pulumi preview` with the field that carries it, not minutes later
 * at apply time with an API-server message about some generated object.
 */

/** RFC 1123 label: lower-case alphanumerics and '-', alphanumeric at both ends. */
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** RFC 1123 subdomain: dot-separated labels. */
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Longest DNS-1123 label (namespaces, Services, container and port names). */
export const MAX_LABEL_LENGTH = 63;

/** Longest DNS-1123 subdomain (most object names, hosts). */
export const MAX_SUBDOMAIN_LENGTH = 253;

/**
 * Throws unless `value` is a DNS-1123 label of at most 63 characters.
 * Namespaces and Services must be labels: their names become DNS labels.
 */
export function assertDns1123Label(field: string, value: string): void {
  if (value.length === 0 || value.length > MAX_LABEL_LENGTH) {
    throw new Error(`${field}: "${value}" must be 1-${MAX_LABEL_LENGTH} characters long`);
  }
  if (!DNS1123_LABEL.test(value)) {
    throw new Error(
      `${field}: "${value}" must be a DNS-1123 label (lower-case letters, digits and '-', starting and ending with a letter or digit)`,
    );
  }
}

/** Throws unless `value` is a DNS-1123 subdomain of at most 253 characters. */
export function assertDns1123Subdomain(field: string, value: string): void {
  if (value.length === 0 || value.length > MAX_SUBDOMAIN_LENGTH) {
    throw new Error(`${field}: "${value}" must be 1-${MAX_SUBDOMAIN_LENGTH} characters long`);
  }
  if (!DNS1123_SUBDOMAIN.test(value)) {
    throw new Error(
      `${field}: "${value}" must be a DNS-1123 subdomain (lower-case labels of letters, digits and '-', separated by '.')`,
    );
  }
}

/** A Kubernetes service account, as workload identity federates it. */
export interface ServiceAccountRef {
  /** Namespace of the service account. */
  readonly namespace: string;
  /** Name of the service account. */
  readonly name: string;
}
