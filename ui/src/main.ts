import "./styles.css";
import { App } from "./app";
import { applyTheme, loadThemeChoice } from "./lib/theme";

// The theme before anything is drawn (the sign-in page too).
applyTheme(window, loadThemeChoice(globalThis.localStorage));

const root = document.getElementById("app");
if (root) void new App(root).start();
