// Command-line options of `npm run demo`.

export interface DemoOptions {
  /** Seconds of live replay; null = until Ctrl-C. 0 with --no-live. */
  replaySeconds: number | null;
  /** New orders per second in the live phase. */
  rate: number;
  /** Database (on the embedded server, or on DATABASE_URL's server) recreated for this run. */
  database: string;
  /** Build the app when build/ is missing or older than app/ (default), always, or never. */
  build: "auto" | "always" | "never";
  /** Seed of the shopper simulation. */
  seed: number;
  /** Colours and a redrawn progress bar (a TTY), or plain lines (CI, tests). */
  interactive: boolean;
}

export const DEMO_USAGE = `Usage: npm run demo -- [options]

  --replay-seconds N   stop the live replay after N seconds, check, and exit (default: until Ctrl-C)
  --no-live            stop after the backfill, the segment table and the check
  --rate N             new orders per second in the live replay (default 2)
  --database NAME      the demo's own database, recreated on every run (default segment_sync_demo)
  --rebuild            build the app (remix vite:build) even when build/ is up to date
  --no-build           serve build/ as it is (fails when it is missing)
  --seed N             seed of the shopper simulation (default 1)
  --plain              plain lines instead of a redrawn progress bar and colours
  --help`;

export function parseDemoArgs(argv: string[], isTty: boolean): DemoOptions | { help: true } | { error: string } {
  const options: DemoOptions = {
    replaySeconds: null,
    rate: 2,
    database: "segment_sync_demo",
    build: "auto",
    seed: 1,
    interactive: isTty,
  };
  const number = (name: string, value: string | undefined, min: number): number | string => {
    const n = Number(value);
    if (value === undefined || !Number.isFinite(n) || n < min) return `${name} needs a number >= ${min}`;
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const next = () => inline ?? argv[++i];
    switch (flag) {
      case "--replay-seconds": {
        const n = number(flag, next(), 0);
        if (typeof n === "string") return { error: n };
        options.replaySeconds = n;
        break;
      }
      case "--no-live":
        options.replaySeconds = 0;
        break;
      case "--rate": {
        const n = number(flag, next(), 0.1);
        if (typeof n === "string") return { error: n };
        options.rate = n;
        break;
      }
      case "--database": {
        const name = next();
        if (!name || !/^[a-z_][a-z0-9_]{0,62}$/.test(name)) return { error: "--database needs a lower-case identifier" };
        options.database = name;
        break;
      }
      case "--rebuild":
        options.build = "always";
        break;
      case "--no-build":
        options.build = "never";
        break;
      case "--seed": {
        const n = number(flag, next(), 0);
        if (typeof n === "string") return { error: n };
        options.seed = Math.floor(n);
        break;
      }
      case "--plain":
        options.interactive = false;
        break;
      case "--help":
      case "-h":
        return { help: true };
      default:
        return { error: `unknown option ${arg}` };
    }
  }
  return options;
}
