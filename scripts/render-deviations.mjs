// Regenerates the deviation table between the markers in test/support/contract/README.md (run after `npm run build`).
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const { renderDeviationsMarkdown } = require('../dist/test/support/contract/deviations.js');
const file = new URL('../test/support/contract/README.md', import.meta.url);
const readme = readFileSync(file, 'utf8');
const next = readme.replace(/(<!-- deviations:start -->\n)[\s\S]*?(<!-- deviations:end -->)/, (_m, start, end) => `${start}${renderDeviationsMarkdown()}${end}`);
writeFileSync(file, next);
console.log(next === readme ? 'deviation table unchanged' : 'deviation table updated');
