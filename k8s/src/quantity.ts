/**
 * Kubernetes quantities as this package renders them from numbers: integer
 * amounts with a unit (`500m`, `1024Mi`) and autoscaling targets (`10`,
 * `7500m`). A number renders in plain digits only while it is a safe integer
 * (JavaScript prints 1e21 and more with an exponent, and rounds past 2^53),
 * and a target below one milli-unit would render as `0m`; these checks
 * refuse both, naming the field.
 */

import { MIN_SCALING_TARGET as MIN_TARGET } from "@mlops/contracts";

/** Largest target whose milli-value still renders exactly in plain digits. */
export const MAX_TARGET = Number.MAX_SAFE_INTEGER / 1000;

/** Throws unless `value` is a positive integer that renders in plain digits. */
export function assertQuantityInteger(field: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new Error(`${field}: ${value} must be an integer in 1-${Number.MAX_SAFE_INTEGER}`);
  }
}

/** Throws unless `value` is a target of at least 1m whose milli-value renders in plain digits. */
export function assertTarget(field: string, value: number): void {
  if (!(value >= MIN_TARGET && value <= MAX_TARGET)) {
    throw new Error(
      `${field}: ${value} must be in ${MIN_TARGET}-${MAX_TARGET} (1m up to a milli-value in plain digits)`,
    );
  }
}

/** Target `value` (checked by {@link assertTarget}) as a quantity: integers stay integers, fractions become milli-units. */
export function targetQuantity(value: number): string {
  return Number.isInteger(value) ? String(value) : `${Math.round(value * 1000)}m`;
}
