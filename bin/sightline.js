#!/usr/bin/env node
'use strict';
// The `sightline` command: a thin shim over the bundled CLI (`npm run build` creates it).
const path = require('node:path');
const fs = require('node:fs');
const bundle = path.join(__dirname, '..', 'dist', 'sightline.js');
if (!fs.existsSync(bundle)) {
  console.error('sightline: dist/sightline.js is missing. Run `npm run build` in the Sightline folder first.');
  process.exit(2);
}
require(bundle);
