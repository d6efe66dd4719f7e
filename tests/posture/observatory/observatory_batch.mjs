// Runs the MDN HTTP Observatory engine on many (host, ports, path) targets in one process.
//
//   NODE_EXTRA_CA_CERTS=bundle.pem node tests/posture/observatory/observatory_batch.mjs < targets.json
//
// The same retrieval and grading as tests/security/observatory_scan.mjs (the engine's
// retriever with custom ports and path, then the grading of src/scanner/index.js), for a
// JSON array of {"host", "httpsPort", "httpPort", "path"}; jsdom and the engine load once
// instead of once per target. Prints a JSON array of {"scan", "tests"} or {"error"}.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const packageRoot = path.dirname(require.resolve("@mdn/mdn-http-observatory/package.json"));
const preload = path.join(packageRoot, "conf", "hsts-preload.json");
if (!fs.existsSync(preload)) {
  fs.writeFileSync(preload, "{}\n"); // offline installs lack it; exact for local names
}
const { retrieve } = await import(`${packageRoot}/src/retriever/retriever.js`);
const { ALL_TESTS } = await import(`${packageRoot}/src/constants.js`);
const { MINIMUM_SCORE_FOR_EXTRA_CREDIT } = await import(`${packageRoot}/src/grader/charts.js`);
const { getGradeForScore, getScoreModifier } = await import(
  `${packageRoot}/src/grader/grader.js`
);

async function grade({ host, httpsPort, httpPort, path: urlPath }) {
  const r = await retrieve(host, { httpsPort: String(httpsPort), httpPort: String(httpPort), path: urlPath });
  if (!r.responses.auto) {
    return { error: "The site seems to be down." };
  }
  const { status } = r.responses.auto;
  if (status < 200 || (status >= 400 && ![401, 403].includes(status))) {
    return { error: `unexpected HTTP status ${status}` };
  }
  let withBonus = 100;
  let uncurved = 100;
  const tests = {};
  for (const result of ALL_TESTS.map((test) => test(r))) {
    if (result.result) {
      result.scoreModifier = getScoreModifier(result.result);
      withBonus += result.scoreModifier;
      if (result.scoreModifier < 0) {
        uncurved += result.scoreModifier;
      }
    }
    tests[result.constructor.name] = { result: result.result, pass: result.pass };
  }
  const final = getGradeForScore(
    uncurved >= MINIMUM_SCORE_FOR_EXTRA_CREDIT ? withBonus : uncurved
  );
  return { scan: { grade: final.grade, score: final.score }, tests };
}

const targets = JSON.parse(fs.readFileSync(0, "utf8"));
const results = [];
for (const target of targets) {
  results.push(await grade(target));
}
console.log(JSON.stringify(results));
