/**
 * The parser of `application/json` bodies: Fastify's own rules (secure-json-parse, which refuses
 * `__proto__` and `constructor.prototype` keys), with errors that say what is wrong. Fastify's
 * default answers every broken body with "Body is not valid JSON"; this one says where the JSON
 * broke, or which keys are refused. The codes stay Fastify's.
 */
import type { FastifyBodyParser } from "fastify";
import secureJson from "secure-json-parse";
import { fastifyClientError } from "./errors.js";

const REFUSED_KEYS = { protoAction: "error", constructorAction: "error" } as const;

export const parseJsonBody: FastifyBodyParser<string> = (_request, body, done) => {
  if (body.length === 0) {
    done(
      fastifyClientError(
        "FST_ERR_CTP_EMPTY_JSON_BODY",
        400,
        "body: must not be empty when content-type is application/json",
      ),
      undefined,
    );
    return;
  }
  try {
    done(null, secureJson.parse(body, undefined, REFUSED_KEYS));
  } catch (error) {
    const reason = (error as Error).message;
    done(
      fastifyClientError(
        "FST_ERR_CTP_INVALID_JSON_BODY",
        400,
        reason.includes("forbidden prototype property")
          ? 'body: the keys "__proto__" and "constructor.prototype" are not allowed'
          : `body is not valid JSON: ${reason}`,
      ),
      undefined,
    );
  }
};
