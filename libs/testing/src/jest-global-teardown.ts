/** Stops containers the setup started. The embedded broker is left running, to be reused. */
export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __revstreamTeardown?: () => Promise<void> }).__revstreamTeardown?.();
}
