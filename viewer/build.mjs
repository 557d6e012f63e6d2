// Bundle the viewer into dist/ (viewer.js, viewer.css, index.html); run by `npm run build`.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';

const outdir = new URL('./dist/', import.meta.url).pathname;
mkdirSync(outdir, { recursive: true });
await build({
  entryPoints: { viewer: 'src/main.js' },
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020'],
  outdir,
  legalComments: 'linked',
  logLevel: 'warning',
});
copyFileSync('index.html', `${outdir}index.html`);
writeFileSync(`${outdir}.built`, `${new Date().toISOString()}\n`);
