import type { ModelManifest } from "@mlops/contracts";

/** Text safe inside a Markdown table cell: pipes escaped, line breaks flattened. */
export function escapeCell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

/** A Markdown table with a header row; every cell escaped. */
export function markdownTable(header: readonly string[], rows: readonly string[][]): string {
  return [header, header.map(() => "---"), ...rows]
    .map((r) => `| ${r.map(escapeCell).join(" | ")} |`)
    .join("\n");
}

/** A model card's lineage section: the run, the commit, when, and the model file's SHA-256. */
export function lineageSection(manifest: ModelManifest): string {
  const commit =
    manifest.git_sha === null ? "unknown (not a git checkout)" : `\`${manifest.git_sha}\``;
  return `## Lineage

- Run: \`${manifest.run_id}\`
- Git commit: ${commit}
- Created: ${manifest.created}
- Model file SHA-256: \`${manifest.model_sha256}\``;
}
