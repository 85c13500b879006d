// Copy the third-party browser files Proxima serves from node_modules into
// crm/static/vendor (git-ignored: third-party code is installed, never committed).
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const vendor = join(root, "crm", "static", "vendor");

const files = [
  ["node_modules/htmx.org/dist/htmx.min.js", "htmx.min.js"],
  ["node_modules/htmx.org/LICENSE", "htmx.LICENSE.txt"],
];

mkdirSync(vendor, { recursive: true });
for (const [source, target] of files) {
  const from = join(root, source);
  if (!existsSync(from)) {
    console.error(`missing ${source}: run "npm install" first`);
    process.exit(1);
  }
  copyFileSync(from, join(vendor, target));
  console.log(`${source} -> crm/static/vendor/${target}`);
}
