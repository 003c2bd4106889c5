/**
 * The platform's CrossGuard pack: `pulumi preview --policy-pack infra/policy`. Each policy is a
 * rule from rules.ts, the same functions the unit tests run against the mocked program: resource
 * rules judge each resource, stack rules the whole stack once it is known.
 */
import {
  type PolicyResource as EngineResource,
  PolicyPack,
  type ResourceValidationPolicy,
  type StackValidationPolicy,
} from "@pulumi/policy";
import { type PolicyResource, rules, stackRules } from "./rules.js";

/** `type::name` of an engine resource, the form rules use for dependencies. */
const key = (r: { type: string; name: string }) => `${r.type}::${r.name}`;

/** A resource of the stack as the rules see it. */
const asRuleResource = (r: EngineResource): PolicyResource => ({
  type: r.type,
  name: r.name,
  props: r.props,
  dependencies: [
    ...new Set([...r.dependencies, ...Object.values(r.propertyDependencies).flat()].map(key)),
  ],
});

const resourcePolicies: ResourceValidationPolicy[] = rules.map((rule) => ({
  name: rule.name,
  description: rule.description,
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    for (const message of rule.check({ type: args.type, name: args.name, props: args.props })) {
      reportViolation(message);
    }
  },
}));

const stackPolicies: StackValidationPolicy[] = stackRules.map((rule) => ({
  name: rule.name,
  description: rule.description,
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    for (const message of rule.check(args.resources.map(asRuleResource))) reportViolation(message);
  },
}));

new PolicyPack("mlops-platform", { policies: [...resourcePolicies, ...stackPolicies] });
