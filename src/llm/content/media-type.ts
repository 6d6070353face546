/**
 * A media type told by a URL's file extension, for content sent by reference (Bedrock `s3://`
 * images, Gemini `fileData` URIs), where the provider needs the type and the URL is all there is.
 * The query and fragment are ignored (`cat.png?versionId=3` is a PNG); unknown extensions are
 * undefined, and each provider decides what that means.
 */
const BY_EXTENSION: Readonly<Record<string, string>> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  webp: "image/webp",
  gif: "image/gif",
  heic: "image/heic",
  heif: "image/heif",
  pdf: "application/pdf",
  mp3: "audio/mp3",
  wav: "audio/wav",
  mp4: "video/mp4",
  txt: "text/plain",
};

export function mediaTypeFromExtension(url: string): string | undefined {
  const path = url.split(/[?#]/)[0]!;
  const slash = path.lastIndexOf("/");
  const dot = path.lastIndexOf(".");
  if (dot <= slash) return undefined;
  return BY_EXTENSION[path.slice(dot + 1).toLowerCase()];
}
