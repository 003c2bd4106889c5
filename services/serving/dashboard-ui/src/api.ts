/** JSON from the API's own origin; a failure carries the status and the API's message. */
export type Result<T> =
  | { readonly ok: true; readonly data: T }
  | { readonly ok: false; readonly status: number; readonly message: string };

export async function getJson<T>(path: string): Promise<Result<T>> {
  let res: Response;
  try {
    res = await fetch(path, { headers: { accept: "application/json" }, cache: "no-store" });
  } catch {
    return { ok: false, status: 0, message: "the API did not answer" };
  }
  const body: unknown = await res.json().catch(() => null);
  if (res.ok) return { ok: true, data: body as T };
  const message = (body as { message?: unknown } | null)?.message;
  return {
    ok: false,
    status: res.status,
    message: typeof message === "string" ? message : res.statusText,
  };
}
