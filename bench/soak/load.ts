/**
 * The soak's load loop, shared by the mqgen caller and the bare nats.js requester so both sides are driven
 * exactly alike: wait until one call succeeds, print `READY`, keep `lanes` calls in flight for `seconds`,
 * then print `DONE <json>` with the counts.
 */
export async function runSoakLoad(call: (timeoutMs: number) => Promise<unknown>, lanes: number, seconds: number): Promise<void> {
  for (;;) {
    try {
      await call(1000);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  process.stdout.write("READY\n");
  const endAt = Date.now() + seconds * 1000;
  let calls = 0;
  let errors = 0;
  const firstErrors: string[] = [];
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (Date.now() < endAt) {
        try {
          await call(2000);
          calls++;
        } catch (error) {
          errors++;
          if (firstErrors.length < 5) firstErrors.push((error as Error).message);
          await new Promise((r) => setTimeout(r, 5));
        }
      }
    }),
  );
  process.stdout.write(`DONE ${JSON.stringify({ calls, errors, firstErrors })}\n`);
}
