import { describeDevice } from "./device-label";

test("describeDevice names browser and OS, and never throws", () => {
  expect(describeDevice("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36")).toBe("Chrome on Linux");
  expect(describeDevice("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")).toBe("Safari on iOS");
  expect(describeDevice("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0")).toBe("Firefox on Windows");
  expect(describeDevice(null)).toBe("Unknown device");
  expect(describeDevice("   ")).toBe("Unknown device");
  expect(typeof describeDevice("\u0000garbage")).toBe("string");
});
