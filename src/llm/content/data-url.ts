/**
 * `data:` URLs in OpenAI content parts (`image_url.url`, `file.file_data`), parsed once for every
 * provider. Each provider still decides which media types it takes; this only reads the URL.
 *
 * The rules (RFC 2397, narrowed to what an upstream can use):
 * - Only base64 data URLs are accepted: every provider wants the bytes base64-encoded, and OpenAI
 *   documents image and file data URLs as base64 only. A percent-encoded one
 *   (`data:text/plain,hi%20there`) is a 400 naming the parameter, never a silent re-encoding.
 * - The media type is required (RFC 2397's `text/plain` default fits no provider's images or
 *   documents), lower-cased (media types are case-insensitive), and `image/jpg`, a common
 *   misspelling no provider accepts, becomes `image/jpeg`.
 * - Parameters before `;base64` (`;charset=utf-8`, `;name=a.pdf`) are allowed and dropped.
 * - `data:` and `;base64` match in any case; empty data is a 400 (no provider takes an empty file).
 * - The data is passed on as sent: the upstream validates the bytes.
 */
import { badRequest } from "../../http/errors.ts";

export interface DataUrl {
  mediaType: string;
  /** the base64 text after the comma, untouched */
  data: string;
}

const FORM = "data:<media type>;base64,<data>";

/** Whether `url` is a `data:` URL at all (any case). */
export function isDataUrl(url: string): boolean {
  return url.length >= 5 && url.slice(0, 5).toLowerCase() === "data:";
}

/**
 * The media type and base64 data of `url`; `undefined` when it is not a `data:` URL (the caller
 * decides what other URLs mean). A data URL that breaks the rules above is a 400 naming `param`.
 */
export function parseDataUrl(url: string, param: string): DataUrl | undefined {
  if (!isDataUrl(url)) return undefined;
  const comma = url.indexOf(",");
  if (comma === -1) throw badRequest(param, `'${param}' is not a valid data URL (${FORM})`);
  const meta = url.slice(5, comma).split(";");
  if (meta.length < 2 || meta.at(-1)!.trim().toLowerCase() !== "base64") {
    throw badRequest(param, `'${param}': data URLs must be base64-encoded (${FORM})`);
  }
  const mediaType = meta[0]!.trim().toLowerCase();
  if (!/^[\w.+-]+\/[\w.+-]+$/.test(mediaType)) throw badRequest(param, `'${param}': the data URL needs a media type (${FORM})`);
  const data = url.slice(comma + 1);
  if (data === "") throw badRequest(param, `'${param}': the data URL holds no data`);
  return { mediaType: mediaType === "image/jpg" ? "image/jpeg" : mediaType, data };
}
