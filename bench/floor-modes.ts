/** What bench/floor.ts runs as for each scenario that has a floor (`--floor`, `--floors`, bench/request-leg.ts). */
export const FLOOR_MODES: Record<string, string[]> = {
  "anthropic-stream": [],
  "openai-stream": ["--tap"],
  "resilience-stream": ["--guard"],
  "anthropic-client-on-openai": ["--to-anthropic"],
  "gemini-stream": ["--gemini"],
  "bedrock-stream": ["--bedrock"],
  "openai-json": ["--json"],
};
