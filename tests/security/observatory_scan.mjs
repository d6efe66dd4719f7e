// Runs the MDN HTTP Observatory engine (npm @mdn/mdn-http-observatory) against a local
// origin on a custom port and path, and prints the result as JSON.
//
//   node tests/security/observatory_scan.mjs HOST HTTPS_PORT HTTP_PORT PATH
//
// The package's own CLI and its `scan(hostname)` only take a host name (ports 443/80,
// path "/"), although its retriever accepts httpsPort, httpPort and path options. So this
// calls the retriever with them and then grades exactly as `scan()` in
// src/scanner/index.js does (same tests, same extra-credit rule, same grade chart).
// The dev CA must be trusted through NODE_EXTRA_CA_CERTS (run `node` directly: the
// package's bin wrapper overwrites that variable with its own bundle).

import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const packageRoot = path.dirname(require.resolve("@mdn/mdn-http-observatory/package.json"));

// The package's postinstall downloads Chromium's HSTS preload list into conf/; installs
// that skip scripts (offline CI) lack it. An empty list is exact for localhost, which is
// on no preload list.
const preload = path.join(packageRoot, "conf", "hsts-preload.json");
if (!fs.existsSync(preload)) {
  fs.writeFileSync(preload, "{}\n");
}

const { retrieve } = await import(`${packageRoot}/src/retriever/retriever.js`);
const { ALGORITHM_VERSION, ALL_TESTS, NUM_TESTS } = await import(
  `${packageRoot}/src/constants.js`
);
const { MINIMUM_SCORE_FOR_EXTRA_CREDIT } = await import(`${packageRoot}/src/grader/charts.js`);
const { getGradeForScore, getScoreModifier } = await import(
  `${packageRoot}/src/grader/grader.js`
);

const [host, httpsPort, httpPort, urlPath] = process.argv.slice(2);
if (!host || !httpsPort || !httpPort || !urlPath) {
  console.error("usage: observatory_scan.mjs HOST HTTPS_PORT HTTP_PORT PATH");
  process.exit(2);
}

const r = await retrieve(host, { httpsPort, httpPort, path: urlPath });
if (!r.responses.auto) {
  console.log(JSON.stringify({ error: "The site seems to be down." }));
  process.exit(1);
}
const { status } = r.responses.auto;
if (status < 200 || (status >= 400 && ![401, 403].includes(status))) {
  console.log(JSON.stringify({ error: `unexpected HTTP status ${status}` }));
  process.exit(1);
}

const results = ALL_TESTS.map((test) => test(r));
let testsPassed = 0;
let scoreWithExtraCredit = 100;
let uncurvedScore = 100;
const tests = {};
for (const result of results) {
  if (result.result) {
    result.scoreModifier = getScoreModifier(result.result);
    testsPassed += result.pass ? 1 : 0;
    scoreWithExtraCredit += result.scoreModifier;
    if (result.scoreModifier < 0) {
      uncurvedScore += result.scoreModifier;
    }
  }
  tests[result.constructor.name] = {
    result: result.result,
    pass: result.pass,
    scoreModifier: result.scoreModifier,
  };
}
// Only record the full score if the uncurved score already receives an A.
const score =
  uncurvedScore >= MINIMUM_SCORE_FOR_EXTRA_CREDIT ? scoreWithExtraCredit : uncurvedScore;
const final = getGradeForScore(score);

console.log(
  JSON.stringify({
    scan: {
      algorithmVersion: ALGORITHM_VERSION,
      grade: final.grade,
      score: final.score,
      statusCode: r.responses.auto.status,
      testsFailed: NUM_TESTS - testsPassed,
      testsPassed,
      testsQuantity: NUM_TESTS,
      url: r.session?.url?.href ?? null,
    },
    tests,
  })
);
