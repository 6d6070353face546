/**
 * Process output. Lines are batched and written at most every 10 ms (a write is a system call:
 * once per event-loop turn, it was one every few requests under load), and `flush()` at exit
 * writes what is left. They are also formatted then, all together: a line formatted as its exchange ended (the code and data cold again between
 * requests) measured 2-4 µs of CPU more a request than the same lines formatted in one loop
 * (A/B, openai-json and openai-stream, 50 connections). Formatting writes bytes, not strings
 * (line-buffer.ts), and the access log writes its fields straight from the exchange's record
 * (`write`), with no object of fields in between.
 */
import type { LogLevel } from "../config/model.ts";
import { LineBuffer } from "./line-buffer.ts";
import { boundedSink } from "./stdout-sink.ts";

const BATCH_MS = 10;

const LEVELS: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3, trace: 4 };

/** Where a line's fields go: the line being written (text or JSON), or an object of them. */
export interface FieldSink {
  /** a field; undefined values are left out, objects are written as JSON */
  field(name: string, value: unknown): void;
  /** `<n rounded><unit>` (`12ms`); left out when `n` is undefined */
  amount(name: string, n: number | undefined, unit: string): void;
}

/** Writes the fields of a line from `value`, when the line is written. */
export type FieldWriter<T> = (out: FieldSink, value: T) => void;

export interface Logger {
  format: "text" | "json";
  level: LogLevel;
  /** one structured line: `fields` are written as key=value (text) or an object (json) */
  line(level: LogLevel, target: string, fields: Record<string, unknown>): void;
  /** one line whose fields `writer` writes from `value` when the batch is written (the access log's, from a finished record) */
  write<T>(level: LogLevel, target: string, value: T, writer: FieldWriter<T>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
  /** writes anything still batched (call before exit) */
  flush(): void;
}

export interface LogSink {
  /** a batch of `lines` whole lines, UTF-8; the sink may keep the array */
  write(bytes: Uint8Array, lines: number): void;
  /** lines the sink had to drop since last asked, once it writes again (stdout-sink.ts) */
  takeDropped?(): { lines: number; bytes: number } | undefined;
}

/** stdout, bounded (stdout-sink.ts); one for the process, however many loggers write to it */
let stdout: LogSink | undefined;
const stdoutSink = (): LogSink => (stdout ??= boundedSink(process.stdout));

/** A line not written yet. */
interface PendingLine {
  readonly time: string;
  readonly level: LogLevel;
  readonly target: string;
  fields(out: FieldSink): void;
}

class Pending<T> implements PendingLine {
  constructor(
    readonly time: string,
    readonly level: LogLevel,
    readonly target: string,
    private readonly value: T,
    private readonly writer: FieldWriter<T>,
  ) {}

  fields(out: FieldSink): void {
    this.writer(out, this.value);
  }
}

function writeObject(out: FieldSink, fields: Record<string, unknown>): void {
  for (const k in fields) out.field(k, fields[k]);
}

export function createLogger(opts: { format: "text" | "json"; level: LogLevel; sink?: LogSink }): Logger {
  const sink = opts.sink ?? stdoutSink();
  const buffer = new LineBuffer();
  const text = new LineWriter(buffer, false);
  const json = new LineWriter(buffer, true);
  let pending: PendingLine[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending.length === 0) return;
    const lines = pending;
    pending = [];
    const out = logger.format === "json" ? json : text;
    const dropped = sink.takeDropped?.();
    if (dropped) out.write(new Pending(isoNow(), "warn", "gateway", { message: "log lines dropped: the log's reader fell behind (stdout was not read)", ...dropped }, writeObject));
    for (const l of lines) out.write(l);
    sink.write(buffer.take(), lines.length + (dropped ? 1 : 0));
  };
  const logger: Logger = {
    format: opts.format,
    level: opts.level,
    line(level, target, fields) {
      logger.write(level, target, fields, writeObject);
    },
    write(level, target, value, writer) {
      if (LEVELS[level] > LEVELS[logger.level]) return;
      pending.push(new Pending(isoNow(), level, target, value, writer));
      if (!scheduled) {
        scheduled = true;
        setTimeout(flush, BATCH_MS);
      }
    },
    error: (message, fields) => logger.line("error", "gateway", { message, ...fields }),
    warn: (message, fields) => logger.line("warn", "gateway", { message, ...fields }),
    info: (message, fields) => logger.line("info", "gateway", { message, ...fields }),
    debug: (message, fields) => logger.line("debug", "gateway", { message, ...fields }),
    flush,
  };
  return logger;
}

/**
 * Writes lines in the configured format: text, `<time> <level> <target> key=value ...` with
 * values bare when they can be (else JSON strings); or JSON, one object a line with time, level
 * and target first, then the fields in order.
 */
class LineWriter implements FieldSink {
  constructor(
    private readonly b: LineBuffer,
    private readonly json: boolean,
  ) {}

  write(line: PendingLine): void {
    const b = this.b;
    if (this.json) {
      b.raw('{"time":');
      b.jsonString(line.time);
      b.raw(',"level":');
      b.jsonString(line.level);
      b.raw(',"target":');
      b.jsonString(line.target);
    } else {
      b.raw(line.time);
      b.byte(32);
      b.raw(line.level);
      b.byte(32);
      b.raw(line.target);
    }
    line.fields(this);
    b.raw(this.json ? "}\n" : "\n");
  }

  private key(name: string): void {
    const b = this.b;
    b.byte(this.json ? 44 : 32); // `,` or a space
    if (this.json) b.jsonString(name);
    else b.raw(name);
    b.byte(this.json ? 58 : 61); // `:` or `=`
  }

  field(name: string, v: unknown): void {
    if (v === undefined) return;
    const b = this.b;
    if (typeof v === "string") {
      this.key(name);
      if (this.json) b.jsonString(v);
      else b.textValue(v);
    } else if (typeof v === "number") {
      this.key(name);
      b.number(v, this.json);
    } else if (typeof v === "boolean") {
      this.key(name);
      b.raw(v ? "true" : "false");
    } else {
      // objects as JSON; what JSON.stringify leaves out (functions, symbols) a JSON line leaves out too
      const j = JSON.stringify(v) as string | undefined;
      if (!this.json) {
        this.key(name);
        b.textValue(String(j));
      } else if (j !== undefined) {
        this.key(name);
        b.raw(j);
      }
    }
  }

  amount(name: string, n: number | undefined, unit: string): void {
    if (n === undefined) return;
    const b = this.b;
    this.key(name);
    if (this.json) b.byte(34);
    b.number(Math.round(n), false);
    b.raw(unit);
    if (this.json) b.byte(34);
  }
}

let lastMs = -1;
let lastIso = "";

/** The time of a line: lines written in the same millisecond (most of them, under load) share one string. */
function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}
