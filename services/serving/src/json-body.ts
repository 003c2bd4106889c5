/**
 * The parser of `application/json` bodies: Fastify's own rules (secure-json-parse, which refuses
 * `__proto__` and `constructor.prototype` keys), with errors that say what is wrong. Fastify's
 * default answers every broken body with "Body is not valid JSON"; this one says where the JSON
 * broke, or which keys are refused. The codes stay Fastify's. A compressed body is refused
 * (415) rather than read as broken JSON.
 */
import { truncateText } from "@mlops/contracts";
import type { FastifyBodyParser } from "fastify";
import secureJson from "secure-json-parse";
import { fastifyClientError } from "./errors.js";

const REFUSED_KEYS = { protoAction: "error", constructorAction: "error" } as const;

export const parseJsonBody: FastifyBodyParser<string> = (request, body, done) => {
  // Fastify decodes no content coding: a gzip body would read as broken JSON.
  const coding = request.headers["content-encoding"];
  if (coding !== undefined && coding.toLowerCase() !== "identity") {
    done(
      fastifyClientError(
        "UNSUPPORTED_CONTENT_ENCODING",
        415,
        `content-encoding ${truncateText(coding, 40)} is not accepted: send the body uncompressed`,
      ),
      undefined,
    );
    return;
  }
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
