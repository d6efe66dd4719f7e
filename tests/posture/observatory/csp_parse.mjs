// Parses CSP policy lists with the MDN Observatory's own parser and prints the results.
//
//   node tests/posture/observatory/csp_parse.mjs < cases.json
//
// Input: a JSON array of policy lists. Output: a JSON array, one entry per list:
// {"policy": {directive: [sources, sorted]}} or {"error": true} when the parser throws.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const root = path.dirname(require.resolve("@mdn/mdn-http-observatory/package.json"));
const { parseCsp } = await import(`${root}/src/analyzer/cspParser.js`);

const cases = JSON.parse(fs.readFileSync(0, "utf8"));
const results = cases.map((policies) => {
  try {
    const parsed = parseCsp(policies);
    const policy = {};
    for (const [directive, sources] of parsed) {
      policy[directive] = [...sources].sort();
    }
    return { policy };
  } catch (e) {
    return { error: true };
  }
});
console.log(JSON.stringify(results));
