// Builds frontend/ into the package's static files, which the service serves; the
// built page loads its assets relative to itself (the service lives at /user/<name>/).
import { fileURLToPath } from "node:url";
import vue from "@vitejs/plugin-vue";
import { defineConfig } from "vite";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here("."),
  base: "./",
  plugins: [vue()],
  build: {
    outDir: here("../remoteappmanager/static/dashboard"),
    emptyOutDir: true,
  },
  test: {
    root: here(".."),
    include: ["jstests/**/*.test.js"],
    environment: "jsdom",
  },
});
