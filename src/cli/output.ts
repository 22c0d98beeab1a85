// Output helpers: plain aligned tables, compact times, JSON. No colours, no dependencies.

export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
}

export const processIO: CliIO = {
  stdout: (text) => {
    process.stdout.write(text);
  },
  stderr: (text) => {
    process.stderr.write(text);
  },
};

/** Writes lines to stdout, each terminated by "\n". */
export function printLines(io: CliIO, ...lines: string[]): void {
  if (lines.length > 0) io.stdout(`${lines.join("\n")}\n`);
}

export function printJson(io: CliIO, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}

export type Cell = string | number | boolean | null | undefined;

export interface Column<T> {
  header: string;
  value: (row: T) => Cell;
  /** Right-align (numbers). */
  align?: "left" | "right";
  /** Longer cells are cut with "…". */
  maxWidth?: number;
}

const DEFAULT_MAX_WIDTH = 48;
const EMPTY = "-";

export function cellText(value: Cell): string {
  if (value === null || value === undefined || value === "") return EMPTY;
  return String(value).replace(/\s+/g, " ");
}

function truncate(text: string, width: number): string {
  if (text.length <= width) return text;
  return width <= 1 ? "…" : `${text.slice(0, width - 1)}…`;
}

/** Renders rows as a compact table: header line, then one line per row, columns two spaces apart. */
export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string[] {
  const cells = rows.map((row) =>
    columns.map((col) => truncate(cellText(col.value(row)), col.maxWidth ?? DEFAULT_MAX_WIDTH)),
  );
  const widths = columns.map((col, i) =>
    Math.max(col.header.length, ...cells.map((line) => line[i]?.length ?? 0)),
  );
  const format = (line: readonly string[]): string =>
    line
      .map((text, i) => {
        const width = widths[i] ?? text.length;
        return columns[i]?.align === "right" ? text.padStart(width) : text.padEnd(width);
      })
      .join("  ")
      .trimEnd();
  return [format(columns.map((col) => col.header)), ...cells.map(format)];
}

export function printTable<T>(
  io: CliIO,
  rows: readonly T[],
  columns: readonly Column<T>[],
  emptyMessage: string,
): void {
  if (rows.length === 0) {
    printLines(io, emptyMessage);
    return;
  }
  printLines(io, ...renderTable(rows, columns));
}

/**
 * "2025-06-01 12:34:56Z" from an ISO string (or epoch ms, for tolerance); "-" when absent.
 * Unparseable values are shown as received.
 */
export function formatTime(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === "") return EMPTY;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return `${date.toISOString().slice(0, 19).replace("T", " ")}Z`;
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return EMPTY;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}m${seconds % 60}s`;
}

export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined) return EMPTY;
  return n.toLocaleString("en-US");
}

export function quoted(value: string | null | undefined): string {
  return value ? JSON.stringify(value) : EMPTY;
}

/**
 * Prints a freshly issued secret: info lines, the show-once notice, then the raw secret as the very last
 * line of stdout (so scripts can take it with `tail -n 1`).
 */
export function printSecret(io: CliIO, info: readonly string[], secret: string, noun: "key" | "token"): void {
  printLines(
    io,
    ...info,
    `This is the only time the full ${noun} is shown: store it now (it cannot be retrieved later).`,
    secret,
  );
}
