/** The admin page's files, embedded in the binary when it is built (no build step of their own). */
import js from "./app.js" with { type: "text" };
import html from "./index.html" with { type: "text" };
import css from "./style.css" with { type: "text" };

export const UI_ASSETS: ReadonlyMap<string, { body: string; type: string }> = new Map([
  ["/ui/index.html", { body: String(html), type: "text/html; charset=utf-8" }],
  ["/ui/assets/app.js", { body: js, type: "text/javascript; charset=utf-8" }],
  ["/ui/assets/app.css", { body: css, type: "text/css; charset=utf-8" }],
]);

/** The page's views, each at its own address (`/ui/<view>`). */
export const UI_VIEWS: ReadonlySet<string> = new Set(["config", "listeners", "backends", "limits", "requests"]);
