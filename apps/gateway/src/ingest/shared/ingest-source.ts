import type { RawSource } from '@revstream/events';

/** The five seed APIs the gateway speaks. */
export type IngestSource = RawSource;

/** Every ingest path and the seed API it belongs to: errors on that path come back in that API's format. */
const ROUTES: ReadonlyMap<string, IngestSource> = new Map<string, IngestSource>([
  ['/api/v1/events/product', 'revlint'],
  ['/api/ingest', 'pulsora'],
  ['/api/v1/usage', 'revnu'],
  ['/api/v1/access', 'revnu'],
  ['/events', 'valued'],
  ['/meter/v2/events', 'revenium'],
]);

/** The source whose API a URL belongs to, or null for /health, /metrics and unknown paths. */
export function sourceOfUrl(url: string): IngestSource | null {
  const q = url.indexOf('?');
  let path = q === -1 ? url : url.slice(0, q);
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return ROUTES.get(path) ?? null;
}
