import { resolve } from 'node:path';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

// Two pages from one source tree: the customer's app (index.html) and the incident console
// (console.html). The app server (src/server) serves what this writes to dist/web.
const web = resolve(import.meta.dirname, 'src/web');
export default defineConfig({
  root: web,
  base: '/',
  plugins: [preact()],
  build: {
    outDir: resolve(import.meta.dirname, 'dist/web'),
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: { input: { app: resolve(web, 'index.html'), console: resolve(web, 'console.html') } },
  },
});
