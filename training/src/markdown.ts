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
