/**
 * The platform's CrossGuard pack: `pulumi preview --policy-pack infra/policy`. Each policy is a
 * rule from rules.ts, the same functions the unit tests run against the mocked program.
 */
import { PolicyPack, type ResourceValidationPolicy } from "@pulumi/policy";
import { rules } from "./rules.js";

const policies: ResourceValidationPolicy[] = rules.map((rule) => ({
  name: rule.name,
  description: rule.description,
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    const resource = {
      type: args.type,
      name: args.name,
      props: args.props,
      additionalSecretOutputs: args.opts.additionalSecretOutputs,
    };
    for (const message of rule.check(resource)) reportViolation(message);
  },
}));

new PolicyPack("mlops-platform", { policies });
