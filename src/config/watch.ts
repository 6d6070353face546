/**
 * Watches a config file for changes. Editors save by rename and Kubernetes swaps ConfigMap
 * symlinks, so the directory is watched and the file re-read; a change is reported only when the
 * content actually differs from `initialText` (the text the running config came from, so an
 * edit made before watching began is caught by the one check at the start). Bursts of events
 * are coalesced.
 */
import { watch, type FSWatcher } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, dirname, resolve } from "node:path";

export function watchConfigFile(path: string, initialText: string, onChange: (text: string) => void, debounceMs = 150): () => void {
  const full = resolve(path);
  const name = basename(full);
  let last = initialText;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const check = async () => {
    timer = undefined;
    let text: string;
    try {
      text = await readFile(full, "utf8");
    } catch {
      return; // mid-rename: the next event brings the new file
    }
    if (text === last) return;
    last = text;
    onChange(text);
  };
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(full), (_event, file) => {
      if (file !== null && file !== name && !String(file).startsWith("..")) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(check, debounceMs);
    });
  } catch {
    return () => {};
  }
  // an edit between loading the config and watching it raised no event here: look once now
  timer = setTimeout(check, debounceMs);
  return () => {
    if (timer) clearTimeout(timer);
    watcher?.close();
  };
}
