// Copies the chart library from node_modules into the dashboard's embedded
// static folder. The copy is generated (git-ignored): run
//   cd dashboard/web && npm ci && npm run build
// (or `make assets`) before `go build` to get charts in the binary.
"use strict";
const fs = require("fs");
const path = require("path");

const vendor = path.join(__dirname, "..", "static", "vendor");
const files = [
  ["echarts/dist/echarts.min.js", "echarts.min.js"],
  ["echarts/LICENSE", "echarts.LICENSE.txt"],
];

fs.mkdirSync(vendor, { recursive: true });
for (const [from, to] of files) {
  const src = require.resolve(from, { paths: [__dirname] });
  fs.copyFileSync(src, path.join(vendor, to));
  console.log(`copied ${from} -> static/vendor/${to}`);
}
