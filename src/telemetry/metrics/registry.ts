/**
 * A small Prometheus registry built for the gateway's hot path: a metric family keeps one series
 * per distinct label set, found by a string key, with its label text rendered once when the
 * series is created. Recording is a map lookup and an addition (a bucket search for histograms);
 * all formatting happens when the stats endpoint is scraped.
 *
 * Exposition follows agentgateway's (prometheus-client) naming: a family registered as `name`
 * with unit `u` is `<prefix>_name_u`; counters' samples end in `_total`; an info metric's sample
 * ends in `_info`. Two formats: the Prometheus text format 0.0.4 (the default) and OpenMetrics
 * 1.0 text (when the scraper asks for it: `# UNIT`, `# EOF`, `info` type, help with a final dot
 * as agentgateway writes it).
 */

export type MetricKind = "counter" | "gauge" | "histogram" | "info";

export interface FamilyDef {
  /** registered name, without prefix or unit (`requests`, `gen_ai_client_cost`) */
  name: string;
  help: string;
  kind: MetricKind;
  unit?: "seconds" | "bytes" | "usd";
  labels: readonly string[];
  /** histogram bucket upper bounds, ascending */
  buckets?: readonly number[];
}

export interface Series {
  /** counters and gauges: add (gauges may also be `set`) */
  inc(by?: number): void;
  set(value: number): void;
  /** histograms */
  observe(value: number): void;
}

/** Beyond this many label sets a family folds new ones into one series labelled "overflow". */
export const MAX_SERIES_PER_FAMILY = 10_000;

const NOOP: Series = { inc() {}, set() {}, observe() {} };

class SeriesImpl implements Series {
  /** written once recorded into: a label set resolved ahead but never used is not exposed */
  used = false;
  value = 0;
  sum = 0;
  count = 0;
  readonly counts: Float64Array | undefined;
  constructor(
    readonly labelText: string,
    private readonly buckets: readonly number[] | undefined,
  ) {
    this.counts = buckets ? new Float64Array(buckets.length + 1) : undefined;
  }
  inc(by = 1): void {
    this.value += by;
    this.used = true;
  }
  set(value: number): void {
    this.value = value;
    this.used = true;
  }
  observe(v: number): void {
    this.used = true;
    const b = this.buckets!;
    let i = 0;
    while (i < b.length && v > b[i]!) i++;
    this.counts![i]!++;
    this.sum += v;
    this.count++;
  }
}

export class Family {
  readonly fullName: string;
  private readonly series = new Map<string, SeriesImpl>();
  private overflow: SeriesImpl | undefined;

  constructor(
    readonly def: FamilyDef,
    prefix: string,
    /** removed by `config.metrics.remove`: values are not kept and the family is not written */
    readonly removed: boolean,
  ) {
    this.fullName = `${prefix}_${def.name}${def.unit ? `_${def.unit}` : ""}`;
  }

  /**
   * The series for one label set. `key` identifies it (the values joined by a separator the
   * caller picks); `values` is called only the first time, to render the labels.
   */
  get(key: string, values: () => readonly string[]): Series {
    if (this.removed) return NOOP;
    let s = this.series.get(key);
    if (s === undefined) {
      if (this.series.size >= MAX_SERIES_PER_FAMILY) return (this.overflow ??= new SeriesImpl(labelText(this.def.labels, this.def.labels.map(() => "overflow")), this.def.buckets));
      s = new SeriesImpl(labelText(this.def.labels, values()), this.def.buckets);
      this.series.set(key, s);
    }
    return s;
  }

  /** The single series of a family without labels. */
  only(): Series {
    return this.get("", () => []);
  }

  render(openMetrics: boolean): string {
    const d = this.def;
    const base = this.fullName;
    const typeName = !openMetrics && d.kind === "counter" ? `${base}_total` : !openMetrics && d.kind === "info" ? `${base}_info` : base;
    const type = d.kind === "info" && !openMetrics ? "gauge" : d.kind;
    let out = `# HELP ${typeName} ${escapeHelp(openMetrics ? `${d.help}.` : d.help)}\n# TYPE ${typeName} ${type}\n`;
    if (openMetrics && d.unit) out += `# UNIT ${base} ${d.unit}\n`;
    const all = this.overflow ? [...this.series.values(), this.overflow] : this.series.values();
    for (const s of all) if (s.used) out += this.samples(s, openMetrics);
    return out;
  }

  private samples(s: SeriesImpl, openMetrics: boolean): string {
    const base = this.fullName;
    const braces = (extra?: string) => {
      const inner = extra ? (s.labelText ? `${s.labelText},${extra}` : extra) : s.labelText;
      return inner ? `{${inner}}` : "";
    };
    switch (this.def.kind) {
      case "counter":
        return `${base}_total${braces()} ${num(s.value)}\n`;
      case "gauge":
        return `${base}${braces()} ${num(s.value)}\n`;
      case "info":
        return `${base}_info${braces()} 1\n`;
      case "histogram": {
        const b = this.def.buckets!;
        let buckets = "";
        let cumulative = 0;
        for (let i = 0; i <= b.length; i++) {
          cumulative += s.counts![i]!;
          buckets += `${base}_bucket${braces(`le="${i < b.length ? le(b[i]!) : "+Inf"}"`)} ${num(cumulative)}\n`;
        }
        const sum = `${base}_sum${braces()} ${num(s.sum)}\n`;
        const count = `${base}_count${braces()} ${num(s.count)}\n`;
        // agentgateway's encoder writes sum and count first; the text format's custom is buckets first
        return openMetrics ? sum + count + buckets : buckets + sum + count;
      }
    }
  }
}

export class Registry {
  private readonly families: Family[] = [];

  constructor(
    private readonly prefix: string,
    /** `config.metrics.remove`: names in any of agentgateway's spellings */
    private readonly remove: ReadonlySet<string> = new Set(),
  ) {}

  register(def: FamilyDef): Family {
    const f = new Family(def, this.prefix, isRemoved(def, this.prefix, this.remove));
    this.families.push(f);
    return f;
  }

  render(openMetrics: boolean): string {
    let out = "";
    for (const f of this.families) if (!f.removed) out += f.render(openMetrics);
    return openMetrics ? `${out}# EOF\n` : out;
  }
}

/**
 * agentgateway's `FilteredRegistry::should_skip`: `name`, `name_total`, `<prefix>_name`,
 * `<prefix>_name_total`, and with a unit the same four spellings of `name_unit`.
 */
export function isRemoved(def: FamilyDef, prefix: string, remove: ReadonlySet<string>): boolean {
  if (remove.size === 0) return false;
  const names = def.unit ? [def.name, `${def.name}_${def.unit}`] : [def.name];
  return names.some((n) => remove.has(n) || remove.has(`${n}_total`) || remove.has(`${prefix}_${n}`) || remove.has(`${prefix}_${n}_total`));
}

function labelText(names: readonly string[], values: readonly string[]): string {
  let s = "";
  for (let i = 0; i < names.length; i++) s += `${i > 0 ? "," : ""}${names[i]}="${escapeLabel(values[i] ?? "unknown")}"`;
  return s;
}

export function escapeLabel(v: string): string {
  return /[\\"\n]/.test(v) ? v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n") : v;
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function num(v: number): string {
  return Number.isFinite(v) ? String(v) : v > 0 ? "+Inf" : v < 0 ? "-Inf" : "NaN";
}

/** Bucket bounds as prometheus-client writes them: always with a fraction ("1.0", "0.005"). */
function le(v: number): string {
  const s = String(v);
  return /[.e]/.test(s) ? s : `${s}.0`;
}
