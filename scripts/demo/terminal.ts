// Terminal output of the demo: a redrawn progress bar on a TTY, plain lines elsewhere (CI, tests).

export interface Out {
  interactive: boolean;
  line(text?: string): void;
  /** Redraws the current status line (TTY) or prints it when it changed (plain). */
  status(text: string): void;
  /** Ends a status line. */
  endStatus(): void;
  bold(text: string): string;
  dim(text: string): string;
  green(text: string): string;
  red(text: string): string;
  cyan(text: string): string;
}

export function createOut(interactive: boolean, write: (s: string) => void = (s) => process.stdout.write(s)): Out {
  let open = false;
  let last = "";
  let lastAt = 0;
  const paint = (code: string) => (text: string) => (interactive ? `\x1b[${code}m${text}\x1b[0m` : text);
  return {
    interactive,
    line(text = "") {
      if (open) {
        write(interactive ? "\r\x1b[2K" : "");
        open = false;
      }
      write(`${text}\n`);
    },
    status(text) {
      if (interactive) {
        write(`\r\x1b[2K${text}`);
        open = true;
      } else if (text !== last && (text.slice(0, 12) !== last.slice(0, 12) || Date.now() - lastAt >= 5000)) {
        // Plain output: a line when the phase changes, else at most one every 5 s.
        write(`${text}\n`);
        last = text;
        lastAt = Date.now();
      }
      if (interactive) last = text;
    },
    endStatus() {
      if (open) write("\n");
      open = false;
      last = "";
    },
    bold: paint("1"),
    dim: paint("2"),
    green: paint("32"),
    red: paint("31"),
    cyan: paint("36"),
  };
}

export function progressBar(percent: number, width = 30): string {
  const p = Math.max(0, Math.min(100, percent));
  const full = Math.round((p / 100) * width);
  return `[${"#".repeat(full)}${".".repeat(width - full)}]`;
}

export const int = (n: number | bigint) => Number(n).toLocaleString("en-GB");
export const money = (n: number) => n.toLocaleString("en-GB", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
export const pct = (n: number) => `${(n * 100).toFixed(1)} %`;

export function seconds(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return "--";
  if (s < 60) return `${Math.round(s)} s`;
  return `${Math.floor(s / 60)} min ${String(Math.round(s % 60)).padStart(2, "0")} s`;
}

/** A plain text table; numeric columns (align "r") are right-aligned. */
export function table(headers: string[], rows: string[][], align: ("l" | "r")[] = []): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const fmt = (cells: string[]) =>
    cells.map((c, i) => (align[i] === "r" ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ").trimEnd();
  return [fmt(headers), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(fmt)];
}
