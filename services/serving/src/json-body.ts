/**
 * The parser of `application/json` bodies: Fastify's own rules (secure-json-parse, which refuses
 * `__proto__` and `constructor.prototype` keys), with errors that say what is wrong. Fastify's
 * default answers every broken body with "Body is not valid JSON"; this one says where the JSON
 * broke, or which keys are refused. The codes stay Fastify's. A compressed body, or one in a
 * character set other than UTF-8 (JSON's, RFC 8259), is refused (415) rather than read as broken
 * JSON or as mangled text.
 */
import { truncateText } from "@mlops/contracts";
import type { FastifyBodyParser } from "fastify";
import secureJson from "secure-json-parse";
import { fastifyClientError } from "./errors.js";

const REFUSED_KEYS = { protoAction: "error", constructorAction: "error" } as const;

/** The `charset` parameter of a media type. */
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)"?/i;

/** The character set `type` names when it is not UTF-8, else undefined. */
function otherCharset(type: string | undefined): string | undefined {
  // The usual header, bare `application/json`, has no parameter to read.
  if (type === undefined || type.length === 16) return undefined;
  const charset = CHARSET.exec(type)?.[1];
  if (charset === undefined) return undefined;
  const name = charset.toLowerCase();
  return name === "utf-8" || name === "utf8" ? undefined : charset;
}

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
  const charset = otherCharset(request.headers["content-type"]);
  if (charset !== undefined) {
    done(
      fastifyClientError(
        "UNSUPPORTED_CHARSET",
        415,
        `content-type charset ${truncateText(charset, 40)} is not accepted: send the body as UTF-8`,
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
