/**
 * The Gemini `generateContent` wire format (AI Studio and Vertex share it), only the fields the
 * translators read or write. https://ai.google.dev/api/generate-content
 */

export interface GeminiPart {
  text?: string;
  /** the text is a thought summary, not answer text */
  thought?: boolean;
  /** opaque signature of the model's reasoning; must be sent back on later turns */
  thoughtSignature?: string;
  inlineData?: { mimeType: string; data: string };
  fileData?: { mimeType?: string; fileUri: string };
  functionCall?: { name?: string; args?: Record<string, unknown>; id?: string };
  functionResponse?: { name: string; response: Record<string, unknown>; id?: string };
}

export interface GeminiContent {
  role?: "user" | "model";
  parts: GeminiPart[];
}

export interface GeminiUsageMetadata {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  totalTokenCount?: number;
  cachedContentTokenCount?: number;
  thoughtsTokenCount?: number;
  toolUsePromptTokenCount?: number;
}

export interface GeminiCandidate {
  content?: { role?: string; parts?: GeminiPart[] };
  finishReason?: string;
  index?: number;
}

export interface GeminiResponse {
  candidates?: GeminiCandidate[];
  promptFeedback?: { blockReason?: string; blockReasonMessage?: string };
  usageMetadata?: GeminiUsageMetadata;
  modelVersion?: string;
  responseId?: string;
  /** an error delivered inside a stream */
  error?: GoogleErrorBody["error"];
}

/** `google.rpc.Status` as Google APIs return it: `{"error": {code, message, status, details}}`. */
export interface GoogleErrorBody {
  error?: {
    code?: number;
    message?: string;
    status?: string;
    details?: { "@type"?: string; retryDelay?: string; [k: string]: unknown }[];
  };
}
