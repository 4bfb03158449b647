import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

/** The web app is built into dist/web and served by the API at `/`; hashed assets under /assets are cached for a year. */
export default defineConfig({
  root: here,
  base: '/',
  // JSX is compiled by Vite's own transformer (tsconfig "jsx": "react-jsx"); no plugin is needed for a production build.
  build: {
    outDir: fileURLToPath(new URL('../../dist/web', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2022',
    rolldownOptions: {
      // React libraries mark their modules "use client" for server components; a client-only bundle has no use for it.
      onwarn(warning, warn) {
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  server: { proxy: { '/api': 'http://localhost:3000', '/health': 'http://localhost:3000' } },
});
