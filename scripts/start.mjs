// `npm start`: serves the production build. Uses DATABASE_URL when set, else the embedded server.
import { spawn } from "node:child_process";
const child = spawn(process.execPath, ["--import", "tsx", "scripts/with-db.ts", "remix-serve", "./build/server/index.js"], {
  stdio: "inherit",
});
child.on("exit", (code) => process.exit(code ?? 1));
