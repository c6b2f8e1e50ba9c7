/// <reference types="vitest/config" />
import { defineConfig } from "vite";

// Tauri serves the built UI from ui/dist and, in development, loads it from this dev server.
export default defineConfig({
  clearScreen: false,
  server: {
    port: 1420,
    strictPort: true,
  },
  envPrefix: ["VITE_", "TAURI_ENV_"],
  build: {
    target: "es2021",
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
    // styles.css?raw is read by the contrast test: let Vitest load stylesheets
    css: { include: [/styles\.css/] },
  },
});
