/** htpasswd entries: MD5-crypt against vectors made by OpenSSL (`openssl passwd -apr1 / -1`), SHA, bcrypt. */
import { describe, expect, test } from "bun:test";
import { md5crypt, parseHtpasswd, verifyPassword } from "../../src/auth/htpasswd.ts";

describe("MD5-crypt", () => {
  test.each([
    ["password", "r31Aa0Zb", "$apr1$", "$apr1$r31Aa0Zb$Uvb4kHFbuEa1Px3uOkATw."],
    ["p@ss w0rd!", "abcdefgh", "$apr1$", "$apr1$abcdefgh$Zx5npvb9OfDIre7tJqMfC0"],
    ["", "x", "$apr1$", "$apr1$x$tMwYqBfQwi3FYAr0aJc8M/"],
    ["secret", "saltsalt", "$1$", "$1$saltsalt$9xy1btjgzLYfb7hivXtC//"],
    // a password longer than 16 bytes and a salt longer than 8 (cut to 8)
    ["a much longer password than sixteen", "12345678", "$apr1$", md5crypt("a much longer password than sixteen", "123456789", "$apr1$")],
  ])("%p with salt %p", (password, salt, magic, expected) => {
    expect(md5crypt(password, salt, magic)).toBe(expected);
  });
});

describe("htpasswd", () => {
  test("each entry kind verifies its password and nothing else; unsupported entries are reported", async () => {
    const bcrypt = (await Bun.password.hash("bcrypt-pw", { algorithm: "bcrypt", cost: 4 })).replace("$2b$", "$2y$");
    const file = parseHtpasswd(
      ["# users", "apr:$apr1$r31Aa0Zb$Uvb4kHFbuEa1Px3uOkATw.", "sha:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", `bc:${bcrypt}`, "des:rl0uE1y0y8Yeo", "broken"].join("\n"),
    );
    expect([...file.users.keys()]).toEqual(["apr", "sha", "bc"]);
    expect(file.problems.map((p) => p.line)).toEqual([5, 6]);
    expect(await verifyPassword(file.users.get("apr")!, "password")).toBe(true);
    expect(await verifyPassword(file.users.get("apr")!, "Password")).toBe(false);
    expect(await verifyPassword(file.users.get("sha")!, "password")).toBe(true);
    expect(await verifyPassword(file.users.get("sha")!, "nope")).toBe(false);
    expect(await verifyPassword(file.users.get("bc")!, "bcrypt-pw")).toBe(true);
    expect(await verifyPassword(file.users.get("bc")!, "bcrypt-px")).toBe(false);
  });
});
