/**
 * Reads a metrics exposition with the official Prometheus Python client's parsers (Debian's
 * python3-prometheus-client; .ci/packages.sh installs it): the text format 0.0.4 parser, or the
 * strict OpenMetrics 1.0 parser (which refuses a missing `# EOF`, a counter without `_total`,
 * a unit that does not end the name...).
 */
export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedFamily {
  name: string;
  type: string;
  unit: string;
  help: string;
  samples: ParsedSample[];
}

const SCRIPT = `
import sys, json, math
from prometheus_client.parser import text_string_to_metric_families as text
from prometheus_client.openmetrics.parser import text_string_to_metric_families as om
parse = om if sys.argv[1] == "openmetrics" else text
out = []
for f in parse(sys.stdin.read()):
    out.append({"name": f.name, "type": f.type, "unit": f.unit, "help": f.documentation,
                "samples": [{"name": s.name, "labels": s.labels, "value": s.value if math.isfinite(s.value) else str(s.value)} for s in f.samples]})
print(json.dumps(out))
`;

/** Debian's python (where its python3-prometheus-client lives), before any other on PATH */
const PYTHON = (await Bun.file("/usr/bin/python3").exists()) ? "/usr/bin/python3" : "python3";

export async function parseExposition(text: string, format: "text" | "openmetrics" = "text"): Promise<ParsedFamily[]> {
  const proc = Bun.spawn([PYTHON, "-c", SCRIPT, format], { stdin: new TextEncoder().encode(text), stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) {
    if (err.includes("No module named 'prometheus_client'")) throw new Error("the Prometheus parser is missing: apt-get install python3-prometheus-client (or run .ci/packages.sh)");
    throw new Error(`the ${format} exposition does not parse:\n${err}`);
  }
  return JSON.parse(out) as ParsedFamily[];
}

/** The samples of one family (by family name as the parser reports it) with a given sample name. */
export function samples(families: ParsedFamily[], family: string, sampleName: string = family): ParsedSample[] {
  const f = families.find((x) => x.name === family);
  if (!f) throw new Error(`no metric family ${family} (have: ${families.map((x) => x.name).join(", ")})`);
  return f.samples.filter((s) => s.name === sampleName);
}
