import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// Lives at the top level (not in renderer/) because it is Node code that builds the renderer.
const root = resolve(dirname(fileURLToPath(import.meta.url)), 'renderer');

export default defineConfig({
  root,
  base: './',
  plugins: [react()],
  build: {
    outDir: resolve(root, 'dist'),
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 6000,
  },
});
