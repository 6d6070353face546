/**
 * The admin page's recent requests: the last `capacity` exchanges, oldest first, in the API's
 * shape (an ISO end time) whether the ring has filled or wrapped, and the live view's subscribers
 * getting each new one in the same shape until they leave.
 */
import { expect, test } from "bun:test";
import { recentRequests, type RecentRequest } from "../../src/admin/recent.ts";
import type { ExchangeOutcome } from "../../src/telemetry/outcome.ts";

const exchange = (i: number): ExchangeOutcome => ({ start: 0, bind: 3000, method: "POST", path: `/v1/chat/${i}`, attempts: 1, status: 200, durationMs: i + 0.26 });

test("the last exchanges, oldest first, before and after the ring wraps", () => {
  let clock = Date.UTC(2026, 11, 7, 18, 0, 0);
  const recent = recentRequests(3, () => (clock += 1000));
  recent.listener(exchange(1));
  recent.listener(exchange(2));
  expect(recent.list().map((r) => r.path)).toEqual(["/v1/chat/1", "/v1/chat/2"]);
  for (let i = 3; i <= 8; i++) recent.listener(exchange(i));
  const list = recent.list();
  expect(list.map((r) => r.id)).toEqual([6, 7, 8]);
  expect(list.map((r) => r.path)).toEqual(["/v1/chat/6", "/v1/chat/7", "/v1/chat/8"]);
  expect(list.map((r) => r.time)).toEqual(["2026-12-07T18:00:06.000Z", "2026-12-07T18:00:07.000Z", "2026-12-07T18:00:08.000Z"]);
  expect(Object.keys(list[0]!).slice(0, 4)).toEqual(["id", "time", "method", "path"]);
  expect(list[2]!.durationMs).toBe(8.3);
  expect("ended" in list[0]!).toBe(false);
});

test("a live view gets each new exchange in the API's shape until it leaves", () => {
  const recent = recentRequests(2, () => Date.UTC(2026, 0, 1));
  const seen: RecentRequest[] = [];
  const leave = recent.subscribe((r) => seen.push(r));
  recent.listener(exchange(1));
  recent.listener(exchange(2));
  leave();
  recent.listener(exchange(3));
  expect(seen.map((r) => [r.id, r.time, r.path])).toEqual([
    [1, "2026-01-01T00:00:00.000Z", "/v1/chat/1"],
    [2, "2026-01-01T00:00:00.000Z", "/v1/chat/2"],
  ]);
  expect(recent.list().map((r) => r.id)).toEqual([2, 3]);
});
