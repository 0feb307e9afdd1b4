// The lab dashboard's build: `npm run build:client` writes client/dist, which the server serves at `/`.
// `npx vite client` (dev) proxies the API to a server on :4000 so the dashboard can be worked on live.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = path.dirname(fileURLToPath(import.meta.url));
const api = process.env.NEPHRON_API ?? 'http://127.0.0.1:4000';

export default defineConfig({
  root: here,
  base: '/',
  plugins: [react()],
  build: {
    outDir: path.join(here, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: {
      '/graphql': { target: api, ws: true },
      '/images': api,
      '/files': api,
      '/api': api,
    },
  },
});
